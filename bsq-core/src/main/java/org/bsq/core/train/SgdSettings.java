package org.bsq.core.train;

import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.bsq.core.param.ParameterRole;

/**
 * Hyper-parameters of {@link SgdOptimizer}, with {@code torch.optim.SGD}'s meaning (dampening is always 0).
 *
 * @param learningRate base learning rate (the schedule scales it per epoch), finite and {@code >= 0}
 * @param momentum momentum factor, finite and {@code >= 0} (0: plain SGD, no momentum buffer)
 * @param weightDecay L2 penalty added to the gradient ({@code d = g + wd * p}), finite and {@code >= 0}
 * @param nesterov Nesterov momentum; needs {@code momentum > 0}, as in PyTorch
 * @param weightDecayExcludedRoles roles whose parameters get no weight decay (empty by default: as the BSQ reference,
 *     weight decay applies to every trainable parameter, bit planes, scales and batch-norm affine parameters included)
 */
public record SgdSettings(double learningRate, double momentum, double weightDecay, boolean nesterov,
    Set<ParameterRole> weightDecayExcludedRoles) {

  public SgdSettings {
    requireFiniteNonNegative("learning rate", learningRate);
    requireFiniteNonNegative("momentum", momentum);
    requireFiniteNonNegative("weight decay", weightDecay);
    if (nesterov && momentum == 0) {
      throw new IllegalArgumentException("Nesterov momentum requires momentum > 0, was " + momentum);
    }
    weightDecayExcludedRoles = copyOf(weightDecayExcludedRoles);
  }

  /** Settings without Nesterov momentum, with weight decay on every trainable parameter. */
  public static SgdSettings of(double learningRate, double momentum, double weightDecay) {
    return new SgdSettings(learningRate, momentum, weightDecay, false, Set.of());
  }

  /** The BSQ paper's settings: momentum 0.9, weight decay 1e-4, no Nesterov, decay on everything. */
  public static SgdSettings bsq(double learningRate) {
    return of(learningRate, 0.9, 1e-4);
  }

  public SgdSettings withLearningRate(double value) {
    return new SgdSettings(value, momentum, weightDecay, nesterov, weightDecayExcludedRoles);
  }

  public SgdSettings withNesterov(boolean value) {
    return new SgdSettings(learningRate, momentum, weightDecay, value, weightDecayExcludedRoles);
  }

  /** A copy that applies no weight decay to parameters of the given roles. */
  public SgdSettings withWeightDecayExcluded(ParameterRole... roles) {
    return new SgdSettings(learningRate, momentum, weightDecay, nesterov, Set.of(roles));
  }

  /** Whether parameters of this role are decayed. */
  public boolean decays(ParameterRole role) { return weightDecay != 0 && !weightDecayExcludedRoles.contains(role); }

  /** For logs: {@code sgd(lr=0.1, momentum=0.9, wd=1.0E-4, nesterov=false)}. */
  public String describe() {
    return "sgd(lr=" + learningRate + ", momentum=" + momentum + ", wd=" + weightDecay + ", nesterov=" + nesterov
        + (weightDecayExcludedRoles.isEmpty() ? "" : ", no decay on " + weightDecayExcludedRoles) + ")";
  }

  private static Set<ParameterRole> copyOf(Collection<ParameterRole> roles) {
    if (roles == null || roles.isEmpty()) {
      return Collections.unmodifiableSet(EnumSet.noneOf(ParameterRole.class));
    }
    for (ParameterRole r : roles) {
      if (r == null) {
        throw new IllegalArgumentException("weight decay excluded roles must not contain null, was " + roles);
      }
    }
    return Collections.unmodifiableSet(EnumSet.copyOf(roles));
  }

  private static void requireFiniteNonNegative(String what, double v) {
    if (!(v >= 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(what + " must be finite and >= 0, was " + v);
    }
  }
}
