package org.bsq.core.bsq;

import java.util.Arrays;
import java.util.List;

/**
 * How BSQ weights each bit layer's group-Lasso term: the multiplier {@code w_l} of
 * {@code sum_i ||group_i||} in {@link BitLassoRegularizer}'s {@code R}. Two kinds (docs/hardware-aware-bsq.md,
 * decision 0015):
 * <ul>
 *   <li>{@link #memory()}, the paper's memory-aware weighting and the default: {@code w_l = P_l * N_l}, the layer's
 *       weights {@code P_l} times its current precision {@code N_l} (its memory in bits), bit for bit what
 *       {@link BitLassoRegularizer} always computed (golden 03).</li>
 *   <li>{@link #hardware(MarginalBitCost)}: the memory of one bit of the layer, {@code P_l}, is replaced by the
 *       simulated marginal cost of one bit of the layer on an accelerator, {@code m_l = marginal(l, N_l)}, and
 *       the result rescaled so that alpha keeps its meaning:
 *       <pre>
 *   w_l = c * m_l * N_l,   c = sum_k P_k * N_k^2 / sum_k m_k * N_k^2
 *       </pre>
 *       {@code R} sums one norm per bit group, {@code N_l} groups in layer {@code l}, each with coefficient
 *       {@code w_l}; {@code c} makes the total of those coefficients, {@code sum_l N_l * w_l}, equal to the memory
 *       weighting's {@code sum_l N_l * P_l * N_l} at the same precisions. The same total strength is spread over the
 *       layers in proportion to what one of their bits costs on the hardware; the metric's unit (ms, mJ) cancels,
 *       and with {@code m_l = P_l} the weights are the memory weighting's exactly ({@code c = 1}). At equal
 *       precision, a layer whose bit costs twice as much gets twice the weight.</li>
 * </ul>
 * The multipliers depend on the current precisions only, so {@link BitLassoRegularizer} recomputes them whenever a
 * re-quantization changed a layer's bits.
 */
public interface RegularizerWeighting {
  /** The memory (paper) mode's name in configs. */
  String MEMORY = "memory";

  /** {@value #MEMORY}, or the metric of a hardware weighting ({@code latency}, {@code energy}). */
  String mode();

  /** E.g. {@code memory (P_l * N_l)} or {@code latency on unpu (ms)}. */
  String describe();

  /**
   * The multiplier of each layer's weight groups, for layers with the given names, weight counts and current
   * precisions ({@code >= 1}), all in model order.
   */
  double[] multipliers(List<String> layers, long[] weightCounts, int[] bits);

  /** The paper's memory-aware weighting {@code P_l * N_l}. */
  static RegularizerWeighting memory() {
    return Memory.INSTANCE;
  }

  /** Weighting by the marginal cost of one bit of each layer (see the interface comment). */
  static RegularizerWeighting hardware(String mode, MarginalBitCost cost) {
    return new Hardware(mode, cost);
  }

  /** {@code P_l * N_l} in double, as {@link BitLassoRegularizer} has always computed it. */
  enum Memory implements RegularizerWeighting {
    INSTANCE;

    @Override public String mode() { return MEMORY; }

    @Override public String describe() { return "memory (P_l * N_l)"; }

    @Override
    public double[] multipliers(List<String> layers, long[] weightCounts, int[] bits) {
      check(layers, weightCounts, bits);
      double[] w = new double[bits.length];
      for (int l = 0; l < w.length; l++) {
        w[l] = (double) weightCounts[l] * bits[l];
      }
      return w;
    }
  }

  /** {@code c * m_l * N_l} (see the interface comment). */
  final class Hardware implements RegularizerWeighting {
    private final String mode;
    private final MarginalBitCost cost;

    private Hardware(String mode, MarginalBitCost cost) {
      if (mode == null || mode.isBlank() || MEMORY.equals(mode)) {
        throw new IllegalArgumentException("a hardware weighting's mode must name a metric (latency, energy), was '"
            + mode + "'");
      }
      this.mode = mode;
      this.cost = cost;
    }

    @Override public String mode() { return mode; }

    @Override public String describe() { return cost.describe(); }

    /** The marginal cost of one bit of each layer at its precision ({@code m_l}, before normalization). */
    public double[] marginals(List<String> layers, int[] bits) {
      double[] m = new double[bits.length];
      for (int l = 0; l < m.length; l++) {
        m[l] = cost.marginal(layers.get(l), bits[l]);
        if (!(m[l] >= 0) || Double.isInfinite(m[l])) {
          throw new IllegalStateException("marginal " + cost.describe() + " of one bit of layer '" + layers.get(l)
              + "' at " + bits[l] + " bits must be finite and >= 0, was " + m[l]);
        }
      }
      return m;
    }

    @Override
    public double[] multipliers(List<String> layers, long[] weightCounts, int[] bits) {
      check(layers, weightCounts, bits);
      double[] m = marginals(layers, bits);
      double memoryMass = 0;
      double costMass = 0;
      for (int l = 0; l < m.length; l++) {
        double n2 = (double) bits[l] * bits[l];
        memoryMass += weightCounts[l] * n2;
        costMass += m[l] * n2;
      }
      if (!(costMass > 0)) {
        throw new IllegalStateException("hardware-aware BSQ needs a cost that depends on some layer's weight bits, but "
            + "the marginal " + cost.describe() + " of one bit is 0 for every layer at bits "
            + Arrays.toString(bits) + " of " + layers + " (choose another accelerator or metric, or "
            + "regularizerWeighting: memory)");
      }
      double c = memoryMass / costMass;
      double[] w = new double[m.length];
      for (int l = 0; l < w.length; l++) {
        w[l] = c * m[l] * bits[l];
      }
      return w;
    }
  }

  private static void check(List<String> layers, long[] weightCounts, int[] bits) {
    if (layers.size() != weightCounts.length || bits.length != weightCounts.length) {
      throw new IllegalArgumentException("layers, weight counts and bits must have one entry per layer, had "
          + layers.size() + ", " + weightCounts.length + " and " + bits.length);
    }
    for (int l = 0; l < bits.length; l++) {
      if (bits[l] < 1) {
        throw new IllegalArgumentException("bits of layer '" + layers.get(l) + "' must be >= 1, was " + bits[l]);
      }
      if (weightCounts[l] < 1) {
        throw new IllegalArgumentException("weight count of layer '" + layers.get(l) + "' must be >= 1, was "
            + weightCounts[l]);
      }
    }
  }
}
