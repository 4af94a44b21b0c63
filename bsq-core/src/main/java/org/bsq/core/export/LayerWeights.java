package org.bsq.core.export;

import java.util.Arrays;
import org.bsq.core.finetune.FixedPrecisionWeightSource;
import org.bsq.core.quant.Precision;

/**
 * The weights of one conv or linear layer as an export holds them: either integer levels with the layer's scale (a
 * layer at 0..16 bits) or float32 values (a full-precision layer). Immutable (arrays are copied in and out).
 *
 * <p>A layer at {@code N} bits (1..16) has levels {@code k} in {@code [-(2^N - 1), 2^N - 1]} (sign and an N-bit
 * magnitude, docs/algorithm.md section 10) and a layer scale {@code s}; the engine's weight is
 * {@code W = float(k / (2^N - 1)) * s} in float32, exactly as {@link FixedPrecisionWeightSource} computes it. A pruned
 * layer (0 bits) has all-zero levels and weights.
 */
public final class LayerWeights {
  private final String name;
  private final int bits;
  private final int[] shape;
  private final int[] levels;
  private final float scale;
  private final float[] floats;

  private LayerWeights(String name, int bits, int[] shape, int[] levels, float scale, float[] floats) {
    this.name = name;
    this.bits = bits;
    this.shape = shape;
    this.levels = levels;
    this.scale = scale;
    this.floats = floats;
  }

  /**
   * A layer at {@code bits} (0..16) bits.
   *
   * @throws IllegalArgumentException naming the layer when the bits, the shape or a level is out of range
   */
  public static LayerWeights quantized(String name, int bits, int[] shape, int[] levels, float scale) {
    if (bits < 0 || bits > Precision.MAX_QUANTIZED_BITS) {
      throw new IllegalArgumentException("weight bits of layer '" + name + "' must be in [0, "
          + Precision.MAX_QUANTIZED_BITS + "] for integer levels, was " + bits);
    }
    checkCount(name, shape, levels.length);
    if (!Float.isFinite(scale)) {
      throw new IllegalArgumentException("weight scale of layer '" + name + "' must be finite, was " + scale);
    }
    int max = (1 << bits) - 1;
    for (int i = 0; i < levels.length; i++) {
      if (levels[i] < -max || levels[i] > max) {
        throw new IllegalArgumentException("weight level " + i + " of layer '" + name + "' must be in [" + -max + ", "
            + max + "] at " + bits + " bits, was " + levels[i]);
      }
    }
    return new LayerWeights(name, bits, shape.clone(), levels.clone(), scale, null);
  }

  /** A full-precision layer (float32 weights). */
  public static LayerWeights full(String name, int[] shape, float[] values) {
    checkCount(name, shape, values.length);
    return new LayerWeights(name, Precision.FULL_BITS, shape.clone(), null, Float.NaN, values.clone());
  }

  /**
   * The levels of normalized weights {@code u} at {@code bits}, as the engine's quantizer computes them:
   * {@code c = clamp(u, -1, 1)}, {@code k = sign(c) * rint(|c| * (2^bits - 1))} (half to even, in float32).
   */
  public static int[] levelsOf(float[] normalized, int bits) {
    int[] k = new int[normalized.length];
    if (bits == 0) {
      return k;
    }
    float step = (float) ((1 << bits) - 1);
    for (int i = 0; i < normalized.length; i++) {
      float c = Math.max(-1f, Math.min(1f, normalized[i]));
      int m = (int) Math.rint(Math.abs(c) * step);
      k[i] = c > 0f ? m : (c < 0f ? -m : 0);
    }
    return k;
  }

  private static void checkCount(String name, int[] shape, int count) {
    long n = 1;
    for (int d : shape) {
      if (d < 1) {
        throw new IllegalArgumentException("weight shape of layer '" + name + "' must have positive dimensions, was "
            + Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != count) {
      throw new IllegalArgumentException("weights of layer '" + name + "' must have " + n + " values for shape "
          + Arrays.toString(shape) + ", was " + count);
    }
  }

  public String name() { return name; }

  /** 0 (pruned), 1..16, or 32 (full precision). */
  public int bits() { return bits; }

  public boolean isFull() { return bits == Precision.FULL_BITS; }

  public boolean isPruned() { return bits == 0; }

  public int[] shape() { return shape.clone(); }

  public long count() { return isFull() ? floats.length : levels.length; }

  /** {@code 2^bits - 1}, the largest level magnitude (0 for a pruned layer). */
  public int step() {
    if (isFull()) {
      throw new IllegalStateException("layer '" + name + "' is full precision and has no step");
    }
    return (1 << bits) - 1;
  }

  /** The integer levels (a copy). */
  public int[] levels() {
    if (isFull()) {
      throw new IllegalStateException("layer '" + name + "' is full precision and has no levels");
    }
    return levels.clone();
  }

  /** The layer scale {@code s}: the weight of level {@code 2^bits - 1}. */
  public float scale() {
    if (isFull()) {
      throw new IllegalStateException("layer '" + name + "' is full precision and has no scale");
    }
    return scale;
  }

  /** The float32 weights of a full-precision layer (a copy). */
  public float[] floats() {
    if (!isFull()) {
      throw new IllegalStateException("layer '" + name + "' is quantized (" + bits + " bits) and has no float values");
    }
    return floats.clone();
  }

  /** The weights the engine computes from this layer (float32, bit for bit). */
  public float[] effectiveWeights() {
    if (isFull()) {
      return floats.clone();
    }
    float[] w = new float[levels.length];
    if (bits == 0) {
      return w;
    }
    float step = (float) step();
    for (int i = 0; i < w.length; i++) {
      w[i] = FixedPrecisionWeightSource.quantize(levels[i] / step, step) * scale;
    }
    return w;
  }

  /** The normalized weights {@code u = k / (2^bits - 1)} that reproduce these levels under the engine's quantizer. */
  public float[] normalizedWeights() {
    float[] u = new float[levels().length];
    if (bits == 0) {
      return u;
    }
    float step = (float) step();
    for (int i = 0; i < u.length; i++) {
      u[i] = levels[i] / step;
    }
    return u;
  }

  @Override
  public String toString() {
    return "LayerWeights[" + name + ", " + (isFull() ? "fp32" : bits + "b") + ", " + Arrays.toString(shape) + "]";
  }
}
