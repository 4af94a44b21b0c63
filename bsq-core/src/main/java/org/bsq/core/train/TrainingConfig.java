package org.bsq.core.train;

import java.nio.file.Path;

/**
 * Immutable settings of a {@link Trainer} run. The batch size belongs to the training {@link
 * org.bsq.core.data.BatchSource}.
 *
 * @param epochs epochs of the whole run, >= 1
 * @param optimizer SGD settings (the base learning rate is {@code optimizer.learningRate()})
 * @param schedule learning-rate schedule over epochs
 * @param schedulePerStep false: the rate changes at epoch boundaries only (PyTorch's per-epoch {@code
 *     scheduler.step()}); true: it is re-evaluated every step at the fractional epoch {@code epoch + step / steps}
 * @param seed the run's seed (hooks derive their randomness from it; data sources take their own seed)
 * @param evalEvery evaluate after every {@code evalEvery}-th epoch (and always after the last one), >= 1
 * @param checkpointDir where checkpoints go ({@code <dir>/latest}, {@code <dir>/best}); null: no checkpoints
 * @param checkpointEvery write a checkpoint after every {@code checkpointEvery}-th epoch (and after the last), >= 1
 * @param checkpointEverySteps also write one every this many optimizer steps (resumable inside an epoch); 0: off
 * @param keepBest keep the parameters of the epoch with the best evaluation top-1 (in memory, in every checkpoint,
 *     and in {@code <dir>/best}) and restore them into the model when training ends; needs an evaluation source
 * @param totalSteps optimizer steps of the whole run when its last epoch is cut short (a budget that is not a whole
 *     number of epochs, {@link RecipePlan}): the last epoch runs {@code totalSteps - (epochs - 1) * B} of the
 *     source's {@code B} batches, which must be in [1, B]; 0: every epoch runs all its batches
 */
public record TrainingConfig(int epochs, SgdSettings optimizer, LearningRateSchedule schedule, boolean schedulePerStep,
    long seed, int evalEvery, Path checkpointDir, int checkpointEvery, int checkpointEverySteps, boolean keepBest,
    long totalSteps) {

  public TrainingConfig {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, was " + epochs);
    }
    if (optimizer == null) {
      throw new IllegalArgumentException("optimizer settings must be given, was null");
    }
    if (schedule == null) {
      throw new IllegalArgumentException("learning-rate schedule must be given, was null");
    }
    if (evalEvery < 1) {
      throw new IllegalArgumentException("evalEvery must be >= 1, was " + evalEvery);
    }
    if (checkpointEvery < 1) {
      throw new IllegalArgumentException("checkpointEvery must be >= 1, was " + checkpointEvery);
    }
    if (checkpointEverySteps < 0) {
      throw new IllegalArgumentException("checkpointEverySteps must be >= 0, was " + checkpointEverySteps);
    }
    if (totalSteps < 0 || (totalSteps > 0 && totalSteps < epochs)) {
      throw new IllegalArgumentException("totalSteps must be 0 or >= epochs (" + epochs + "), was " + totalSteps);
    }
  }

  /** A config whose epochs all run every batch ({@code totalSteps} 0). */
  public TrainingConfig(int epochs, SgdSettings optimizer, LearningRateSchedule schedule, boolean schedulePerStep,
      long seed, int evalEvery, Path checkpointDir, int checkpointEvery, int checkpointEverySteps, boolean keepBest) {
    this(epochs, optimizer, schedule, schedulePerStep, seed, evalEvery, checkpointDir, checkpointEvery,
        checkpointEverySteps, keepBest, 0);
  }

  /** Per-epoch schedule, evaluation every epoch, no checkpoints, no keep-best. */
  public static TrainingConfig of(int epochs, SgdSettings optimizer, LearningRateSchedule schedule, long seed) {
    return new TrainingConfig(epochs, optimizer, schedule, false, seed, 1, null, 1, 0, false);
  }

  public TrainingConfig withEpochs(int value) {
    return new TrainingConfig(value, optimizer, schedule, schedulePerStep, seed, evalEvery, checkpointDir,
        checkpointEvery, checkpointEverySteps, keepBest, totalSteps);
  }

  public TrainingConfig withSchedulePerStep(boolean value) {
    return new TrainingConfig(epochs, optimizer, schedule, value, seed, evalEvery, checkpointDir, checkpointEvery,
        checkpointEverySteps, keepBest, totalSteps);
  }

  public TrainingConfig withEvalEvery(int value) {
    return new TrainingConfig(epochs, optimizer, schedule, schedulePerStep, seed, value, checkpointDir,
        checkpointEvery, checkpointEverySteps, keepBest, totalSteps);
  }

  /** Checkpoints into {@code dir} every {@code everyEpochs} epochs and, if {@code everySteps > 0}, every that many steps. */
  public TrainingConfig withCheckpoints(Path dir, int everyEpochs, int everySteps) {
    return new TrainingConfig(epochs, optimizer, schedule, schedulePerStep, seed, evalEvery, dir, everyEpochs,
        everySteps, keepBest, totalSteps);
  }

  public TrainingConfig withKeepBest(boolean value) {
    return new TrainingConfig(epochs, optimizer, schedule, schedulePerStep, seed, evalEvery, checkpointDir,
        checkpointEvery, checkpointEverySteps, value, totalSteps);
  }

  /** Ends the run after {@code value} optimizer steps (0: after every batch of every epoch); see {@code totalSteps}. */
  public TrainingConfig withTotalSteps(long value) {
    return new TrainingConfig(epochs, optimizer, schedule, schedulePerStep, seed, evalEvery, checkpointDir,
        checkpointEvery, checkpointEverySteps, keepBest, value);
  }

  /** The learning rate at the given epoch and step. */
  public double learningRate(int epoch, int step, int stepsPerEpoch) {
    double base = optimizer.learningRate();
    if (!schedulePerStep || step == 0) {
      return schedule.atEpoch(base, epoch);
    }
    return schedule.at(base, epoch + (double) step / stepsPerEpoch);
  }

  /** For logs. */
  public String describe() {
    return epochs + " epochs" + (totalSteps > 0 ? " (" + totalSteps + " steps)" : "") + ", " + optimizer.describe() + ", schedule " + schedule.describe()
        + (schedulePerStep ? " per step" : " per epoch") + ", seed " + seed;
  }
}
