package org.bsq.core.bsq;

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
 */
public final class BitLassoRegularizer implements LossTerm {
  private final BitRepresentation bits;
  private final double alpha;
  private float lastRegularizer;

  /**
   * @param alpha the regularization strength (the paper sweeps 3e-3 .. 2e-2), finite and {@code >= 0}
   */
  public BitLassoRegularizer(BitRepresentation bits, double alpha) {
    if (!(alpha >= 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException("regularization strength alpha must be finite and >= 0, was " + alpha);
    }
    this.bits = bits;
    this.alpha = alpha;
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
    for (BitPlaneWeightSource s : bits.layers()) {
      int n = s.bits();
      reg += BitMath.groupLasso(store.get(BitPlaneWeightSource.pweightName(s.layer())).value(),
          store.get(BitPlaneWeightSource.nweightName(s.layer())).value(), s.weightCount(), n,
          (double) s.weightCount() * n, coefficient,
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
