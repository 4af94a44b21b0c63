package org.bsq.core.quant;

/**
 * The precision of a tensor: {@code 0} (a pruned layer: every value is zero), {@code 1..16} bits, or full precision
 * ({@link #FULL_BITS} = 32, float32). Immutable.
 *
 * @param bits 0 for a pruned layer, 1..16 for a quantized tensor, 32 for full precision
 */
public record Precision(int bits) {
  /** The largest quantized precision. */
  public static final int MAX_QUANTIZED_BITS = 16;
  /** The bit width that stands for full precision (float32). */
  public static final int FULL_BITS = 32;
  /** Full precision (float32). */
  public static final Precision FULL = new Precision(FULL_BITS);
  /** A pruned tensor (0 bits, all zero). */
  public static final Precision PRUNED = new Precision(0);

  public Precision {
    if (!valid(bits)) {
      throw new IllegalArgumentException("bits must be in [0, " + MAX_QUANTIZED_BITS + "] or " + FULL_BITS
          + " (full precision), was " + bits);
    }
  }

  /** A precision of {@code bits} bits (0..16, or 32 for full precision). */
  public static Precision of(int bits) {
    return new Precision(bits);
  }

  /**
   * A precision with an error message naming what it is for, e.g. {@code of(17, "weight bits for layer
   * 'layer2.0.conv1'")} fails with {@code weight bits for layer 'layer2.0.conv1' must be in [0, 16], was 17}.
   */
  public static Precision of(int bits, String subject) {
    if (!valid(bits)) {
      throw new IllegalArgumentException(subject + " must be in [0, " + MAX_QUANTIZED_BITS + "] (or " + FULL_BITS
          + " for full precision), was " + bits);
    }
    return new Precision(bits);
  }

  private static boolean valid(int bits) {
    return (bits >= 0 && bits <= MAX_QUANTIZED_BITS) || bits == FULL_BITS;
  }

  public boolean isFull() { return bits == FULL_BITS; }

  public boolean isPruned() { return bits == 0; }

  /** Bits one stored value takes: 0 for pruned, 32 for full precision. */
  public int storageBits() { return bits; }

  @Override
  public String toString() { return isFull() ? "fp32" : bits + "b"; }
}
