package org.bsq.core.graph;

/**
 * What an activation node computes.
 *
 * <ul>
 *   <li>{@code RELU}: max(x, 0).</li>
 *   <li>{@code RELU6}: min(max(x, 0), 6).</li>
 *   <li>{@code RELU6_QUANT}: ReLU6, then per-tensor max-scaled uniform quantization to {@code bits} bits
 *       ({@code S = max|x|} over the whole batch tensor, {@code q = S * rint(x * (2^bits-1) / S) / (2^bits-1)}),
 *       straight-through gradient through the rounding (docs/algorithm.md section 4).</li>
 *   <li>{@code PACT_QUANT}: PACT clip to [0, alpha] with a learnable alpha (parameter {@code <node>.alpha},
 *       initialised to 10), then the same quantizer; the reference uses it for {@code bits <= 3}.</li>
 * </ul>
 *
 * @param kind the function
 * @param bits quantization bits for the quantized kinds (1..16); 0 for the unquantized kinds
 */
public record ActivationSpec(Kind kind, int bits) {
  /** The activation functions. */
  public enum Kind { RELU, RELU6, RELU6_QUANT, PACT_QUANT }

  /** Initial value of PACT's clip parameter, as in the reference code. */
  public static final float PACT_ALPHA_INIT = 10f;

  public ActivationSpec {
    if (kind == null) {
      throw new IllegalArgumentException("activation kind must be given, was null");
    }
    boolean quantized = kind == Kind.RELU6_QUANT || kind == Kind.PACT_QUANT;
    if (quantized && (bits < 1 || bits > 16)) {
      throw new IllegalArgumentException("activation bits for " + kind + " must be in [1, 16], was " + bits);
    }
    if (!quantized && bits != 0) {
      throw new IllegalArgumentException("activation bits for " + kind + " must be 0, was " + bits);
    }
  }

  public static ActivationSpec relu() { return new ActivationSpec(Kind.RELU, 0); }

  public static ActivationSpec relu6() { return new ActivationSpec(Kind.RELU6, 0); }

  /**
   * The reference code's block activation for {@code bits} activation bits: identity-quantized ReLU6 for 0 bits
   * (plain ReLU6), ReLU6 + quantizer above 3 bits, PACT + quantizer at 3 bits or fewer.
   */
  public static ActivationSpec quantized(int bits) {
    if (bits == 0) {
      return relu6();
    }
    return bits <= 3 ? new ActivationSpec(Kind.PACT_QUANT, bits) : new ActivationSpec(Kind.RELU6_QUANT, bits);
  }

  public boolean isQuantized() { return bits > 0; }

  /** Whether the node owns a learnable parameter ({@code <node>.alpha}). */
  public boolean hasAlpha() { return kind == Kind.PACT_QUANT; }

  @Override
  public String toString() {
    return bits == 0 ? kind.name().toLowerCase() : kind.name().toLowerCase() + "(" + bits + "b)";
  }
}
