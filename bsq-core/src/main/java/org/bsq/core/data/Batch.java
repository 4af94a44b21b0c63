package org.bsq.core.data;

/**
 * One mini-batch: {@code size} samples of normalized NCHW floats and their labels. The arrays may be longer than
 * {@code size} samples (a reused buffer; the tail is unspecified). A batch belongs to the consumer until it asks for
 * the next one.
 *
 * @param images {@code size x C x H x W} floats (at least), row-major
 * @param labels class indices, at least {@code size} of them
 * @param size number of valid samples
 * @param index position of this batch within its epoch (0-based)
 */
public record Batch(float[] images, int[] labels, int size, int index) {
  public Batch {
    if (size < 1 || labels.length < size) {
      throw new IllegalArgumentException("batch size must be in [1, " + labels.length + "], was " + size);
    }
  }
}
