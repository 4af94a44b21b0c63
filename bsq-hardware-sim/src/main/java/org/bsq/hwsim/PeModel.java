package org.bsq.hwsim;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a processing element turns bit-widths into throughput: the packing factor {@code pf} (MACs per PE per step)
 * and the number of serial steps per MAC. See docs/hardware-model.md, "PE models".
 */
public enum PeModel {
  /**
   * BitFusion fusion unit: {@code pf = (pmax/max(a,pmin)) * (pmax/max(w,pmin))} (integer division), one step.
   * Outside compatibility mode an operand wider than pmax takes {@code ceil(bits/pmax)} passes at {@code pf = 1}.
   */
  @JsonProperty("fusion") FUSION,
  /** Fixed-precision PE of {@code maxBits}: {@code ceil(a/p) * ceil(w/p)} steps. */
  @JsonProperty("fixed") FIXED,
  /** Activation-serial (Stripes): {@code a} steps; weights up to {@code maxBits} in parallel. */
  @JsonProperty("serial-a") SERIAL_A,
  /** Weight-serial (UNPU): {@code w} steps; activations up to {@code maxBits} in parallel. */
  @JsonProperty("serial-w") SERIAL_W,
  /** Serial in both operands (Loom, BISMO): {@code a * w} steps of 1x1-bit lanes. */
  @JsonProperty("serial-wa") SERIAL_WA,
  /**
   * Weight-serial over the non-zero bits only (Pragmatic's principle on the weight side): the expected maximum
   * popcount of a lock-step lane group, from the layer's bit-plane statistics ({@code w} steps without them).
   */
  @JsonProperty("serial-w-essential") SERIAL_W_ESSENTIAL
}
