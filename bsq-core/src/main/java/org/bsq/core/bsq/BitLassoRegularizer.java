package org.bsq.core.bsq;

import java.util.Arrays;
import java.util.List;
import org.bsq.core.param.ParameterStore;
import org.bsq.core.train.LossTerm;
import org.bsq.core.train.StepContext;

/**
 * BSQ's memory-aware bit-level group Lasso ({@code L1reg}) as a {@link LossTerm}: the training loss adds
 * {@code alpha * R / TP} with
 * <pre>
 *   R = sum over bit layers l of  (P_l * N_l) * sum_i sqrt(1e-8 + sum_k (p[k,i]^2 + n[k,i]^2))
 *       (+ for a linear layer with bias:  (out_l * bN_l) * sum_j sqrt(1e-8 + sum_o (pb[o,j]^2 + nb[o,j]^2)))
 * </pre>
 * ({@code P_l} weights at the <em>current</em> precision {@code N_l}; each group is one bit position spanning the
 * positive and negative planes) and {@code TP = }{@link BitRepresentation#totalParams()}. As in the reference, {@code R}
 * is accumulated in float32 over the layers in model order and the value is {@code (float32(alpha) * R) / float32(TP)};
 * the gradient {@code alpha / TP * multiplier * p / norm_i} is added to the plane gradients.
 *
 * <p>The weight term's multiplier {@code P_l * N_l} is the paper's memory weighting, the default; a
 * {@link RegularizerWeighting} can replace it (hardware-aware BSQ: by the simulated marginal cost of one bit of the
 * layer). The multipliers are recomputed whenever a layer's precision differs from the last call's (after a
 * re-quantization), and kept otherwise. The bias term keeps its memory multiplier {@code out_l * bN_l} in every mode.
 */
public final class BitLassoRegularizer implements LossTerm {
  private final BitRepresentation bits;
  private final double alpha;
  private final RegularizerWeighting weighting;
  private float lastRegularizer;
  /** The precisions the multipliers were computed for (null before the first call). */
  private int[] weightedBits;
  private double[] multipliers;

  /**
   * The paper's memory-weighted regularizer.
   *
   * @param alpha the regularization strength (the paper sweeps 3e-3 .. 2e-2), finite and {@code >= 0}
   */
  public BitLassoRegularizer(BitRepresentation bits, double alpha) {
    this(bits, alpha, RegularizerWeighting.memory());
  }

  /**
   * @param alpha the regularization strength, finite and {@code >= 0}
   * @param weighting how each layer's weight groups are weighted ({@link RegularizerWeighting#memory()}: the paper)
   */
  public BitLassoRegularizer(BitRepresentation bits, double alpha, RegularizerWeighting weighting) {
    if (!(alpha >= 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException("regularization strength alpha must be finite and >= 0, was " + alpha);
    }
    if (weighting == null) {
      throw new IllegalArgumentException("regularizer weighting must be given (RegularizerWeighting.memory() for the "
          + "paper's), was null");
    }
    this.bits = bits;
    this.alpha = alpha;
    this.weighting = weighting;
  }

  /** How the layers' terms are weighted. */
  public RegularizerWeighting weighting() { return weighting; }

  /**
   * The current multiplier of each converted layer's weight groups (model order), computed for the layers' current
   * precisions.
   */
  public double[] multipliers() {
    return currentMultipliers().clone();
  }

  private double[] currentMultipliers() {
    List<BitPlaneWeightSource> layers = bits.layers();
    int[] now = new int[layers.size()];
    for (int l = 0; l < now.length; l++) {
      now[l] = layers.get(l).bits();
    }
    if (multipliers == null || !Arrays.equals(now, weightedBits)) {
      long[] counts = new long[now.length];
      for (int l = 0; l < now.length; l++) {
        counts[l] = layers.get(l).weightCount();
      }
      multipliers = weighting.multipliers(layers.stream().map(BitPlaneWeightSource::layer).toList(), counts, now);
      weightedBits = now;
    }
    return multipliers;
  }

  @Override
  public String name() { return "bsq-group-lasso"; }

  public double alpha() { return alpha; }

  /** {@code R} of the last call (before {@code alpha / TP}). */
  public float lastRegularizer() { return lastRegularizer; }

  @Override
  public double addValueAndGradients(StepContext step) {
    return evaluate(step.parameters(), true);
  }

  /** {@code R} without gradients. */
  public float regularizer() {
    evaluate(bits.model().parameters(), false);
    return lastRegularizer;
  }

  private double evaluate(ParameterStore store, boolean gradients) {
    long tp = bits.totalParams();
    double coefficient = gradients ? alpha / tp : 0;
    float reg = 0f;
    double[] w = currentMultipliers();
    List<BitPlaneWeightSource> layers = bits.layers();
    for (int l = 0; l < layers.size(); l++) {
      BitPlaneWeightSource s = layers.get(l);
      int n = s.bits();
      reg += BitMath.groupLasso(store.get(BitPlaneWeightSource.pweightName(s.layer())).value(),
          store.get(BitPlaneWeightSource.nweightName(s.layer())).value(), s.weightCount(), n,
          w[l], coefficient,
          gradients ? store.get(BitPlaneWeightSource.pweightName(s.layer())).grad() : null,
          gradients ? store.get(BitPlaneWeightSource.nweightName(s.layer())).grad() : null, null);
      if (s.hasBias()) {
        int bn = s.biasBits();
        reg += BitMath.groupLasso(store.get(BitPlaneWeightSource.pbiasName(s.layer())).value(),
            store.get(BitPlaneWeightSource.nbiasName(s.layer())).value(), s.biasCount(), bn,
            (double) s.biasCount() * bn, coefficient,
            gradients ? store.get(BitPlaneWeightSource.pbiasName(s.layer())).grad() : null,
            gradients ? store.get(BitPlaneWeightSource.nbiasName(s.layer())).grad() : null, null);
      }
    }
    lastRegularizer = reg;
    return ((float) alpha * reg) / (float) tp;
  }
}
