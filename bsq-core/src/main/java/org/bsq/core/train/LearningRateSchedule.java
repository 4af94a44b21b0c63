package org.bsq.core.train;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How the learning rate changes over training, as a function of the base learning rate (the optimizer's) and the
 * epoch. Evaluated at epoch granularity (PyTorch's {@code scheduler.step()} once per epoch) with
 * {@link #atEpoch(double, int)}, or at fractional epochs ({@code epoch + step / stepsPerEpoch}) with
 * {@link #at(double, double)} when a trainer updates the rate every step.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = LearningRateSchedule.Constant.class, name = "constant"),
    @JsonSubTypes.Type(value = LearningRateSchedule.Step.class, name = "step"),
    @JsonSubTypes.Type(value = LearningRateSchedule.Cosine.class, name = "cosine"),
    @JsonSubTypes.Type(value = LearningRateSchedule.StepMilestones.class, name = "step-milestones")})
public sealed interface LearningRateSchedule {

  /** The learning rate at a (possibly fractional) epoch {@code >= 0}. */
  double at(double baseLearningRate, double epoch);

  /** The learning rate during the whole of epoch {@code epoch} (0-based). */
  default double atEpoch(double baseLearningRate, int epoch) {
    return at(baseLearningRate, epoch);
  }

  /** For logs, e.g. {@code step(milestones=[250], gamma=0.1)}. */
  String describe();

  static Constant constant() { return new Constant(); }

  /** PyTorch's {@code MultiStepLR(milestones, gamma)}. */
  static Step step(double gamma, Integer... milestones) { return new Step(List.of(milestones), gamma); }

  /** PyTorch's {@code CosineAnnealingLR(T_max=totalEpochs, eta_min=etaMin)}. */
  static Cosine cosine(int totalEpochs, double etaMin) { return new Cosine(totalEpochs, etaMin); }

  /** The base rate throughout. */
  record Constant() implements LearningRateSchedule {
    @Override
    public double at(double baseLearningRate, double epoch) {
      checkEpoch(epoch);
      return baseLearningRate;
    }

    @Override
    public String describe() { return "constant"; }
  }

  /**
   * Multi-step decay ({@code MultiStepLR}): the rate is multiplied by {@code gamma} at each milestone epoch, i.e.
   * {@code base * gamma^k} where {@code k} counts milestones {@code <= epoch} (a repeated milestone counts twice). The
   * power is computed as repeated multiplication, as PyTorch's chained form and the BSQ reference's
   * {@code lr *= gamma} do.
   *
   * @param milestones epochs (>= 1) where the rate drops; kept sorted
   * @param gamma the factor, finite and {@code > 0}
   */
  record Step(List<Integer> milestones, double gamma) implements LearningRateSchedule {
    public Step {
      if (milestones == null) {
        throw new IllegalArgumentException("step schedule milestones must be given, was null");
      }
      List<Integer> sorted = new ArrayList<>(milestones);
      for (Integer m : sorted) {
        if (m == null || m < 1) {
          throw new IllegalArgumentException("step schedule milestones must be >= 1, was " + milestones);
        }
      }
      Collections.sort(sorted);
      milestones = List.copyOf(sorted);
      if (!(gamma > 0) || Double.isInfinite(gamma)) {
        throw new IllegalArgumentException("step schedule gamma must be finite and > 0, was " + gamma);
      }
    }

    @Override
    public double at(double baseLearningRate, double epoch) {
      checkEpoch(epoch);
      double lr = baseLearningRate;
      for (int m : milestones) {
        if (m <= epoch) {
          lr *= gamma;
        }
      }
      return lr;
    }

    @Override
    public String describe() { return "step(milestones=" + milestones + ", gamma=" + gamma + ")"; }
  }

  /**
   * Multi-step decay at optimizer steps rather than epochs ({@link RecipePlan}: a recipe's milestones in a run whose
   * budget is not a whole number of epochs): the rate is {@code base * gamma^k} where {@code k} counts milestone steps
   * {@code <= round(epoch * stepsPerEpoch)}. Meant for a trainer that evaluates the schedule every step
   * ({@link TrainingConfig#schedulePerStep()}), where the fractional epoch is {@code epoch + step / stepsPerEpoch}.
   *
   * @param milestoneSteps global steps (>= 1) before which the rate drops; kept sorted
   * @param stepsPerEpoch the trainer's batches per epoch, >= 1
   * @param gamma the factor, finite and {@code > 0}
   */
  record StepMilestones(List<Long> milestoneSteps, int stepsPerEpoch, double gamma) implements LearningRateSchedule {
    public StepMilestones {
      if (milestoneSteps == null) {
        throw new IllegalArgumentException("step-milestones schedule milestones must be given, was null");
      }
      List<Long> sorted = new ArrayList<>(milestoneSteps);
      for (Long m : sorted) {
        if (m == null || m < 1) {
          throw new IllegalArgumentException("step-milestones schedule milestones must be >= 1, was "
              + milestoneSteps);
        }
      }
      Collections.sort(sorted);
      milestoneSteps = List.copyOf(sorted);
      if (stepsPerEpoch < 1) {
        throw new IllegalArgumentException("step-milestones schedule steps per epoch must be >= 1, was "
            + stepsPerEpoch);
      }
      if (!(gamma > 0) || Double.isInfinite(gamma)) {
        throw new IllegalArgumentException("step-milestones schedule gamma must be finite and > 0, was " + gamma);
      }
    }

    @Override
    public double at(double baseLearningRate, double epoch) {
      checkEpoch(epoch);
      long step = Math.round(epoch * stepsPerEpoch);
      double lr = baseLearningRate;
      for (long m : milestoneSteps) {
        if (m <= step) {
          lr *= gamma;
        }
      }
      return lr;
    }

    @Override
    public String describe() {
      return "step(milestone steps=" + milestoneSteps + " of " + stepsPerEpoch + " per epoch, gamma=" + gamma + ")";
    }
  }

  /**
   * Cosine annealing from the base rate to {@code etaMin} over {@code totalEpochs}, in PyTorch's closed form
   * {@code etaMin + (base - etaMin) * (1 + cos(pi * epoch / totalEpochs)) / 2}. Like {@code CosineAnnealingLR} it is
   * periodic beyond {@code totalEpochs}. Epoch 0 gives the base rate exactly; {@link StrictMath#cos} keeps values
   * identical on every platform. PyTorch's scheduler computes the same values recursively, so they can differ
   * in the last bits of a double.
   *
   * @param totalEpochs {@code T_max}, >= 1
   * @param etaMin the final rate, finite and {@code >= 0}
   */
  record Cosine(int totalEpochs, double etaMin) implements LearningRateSchedule {
    public Cosine {
      if (totalEpochs < 1) {
        throw new IllegalArgumentException("cosine schedule total epochs must be >= 1, was " + totalEpochs);
      }
      if (!(etaMin >= 0) || Double.isInfinite(etaMin)) {
        throw new IllegalArgumentException("cosine schedule eta_min must be finite and >= 0, was " + etaMin);
      }
    }

    @Override
    public double at(double baseLearningRate, double epoch) {
      checkEpoch(epoch);
      if (epoch == 0) {
        return baseLearningRate;
      }
      return etaMin + (baseLearningRate - etaMin) * (1 + StrictMath.cos(Math.PI * epoch / totalEpochs)) / 2;
    }

    @Override
    public String describe() { return "cosine(T_max=" + totalEpochs + ", eta_min=" + etaMin + ")"; }
  }

  private static void checkEpoch(double epoch) {
    if (!(epoch >= 0) || Double.isInfinite(epoch)) {
      throw new IllegalArgumentException("schedule epoch must be finite and >= 0, was " + epoch);
    }
  }
}
