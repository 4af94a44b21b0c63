package org.bsq.core.graph;

/** Per-sample tensor shape {@code channels x height x width} (the batch dimension is not included). */
public record Shape(int channels, int height, int width) {
  public Shape {
    if (channels < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "shape dimensions must be >= 1, was " + channels + "x" + height + "x" + width);
    }
  }

  /** Number of elements per sample. */
  public int size() { return channels * height * width; }

  @Override
  public String toString() { return channels + "x" + height + "x" + width; }
}
