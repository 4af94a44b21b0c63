package org.bsq.core.train;

import java.nio.file.Path;

/**
 * Progress and metrics callbacks of a {@link Trainer}. All methods have empty defaults; they run on the training
 * thread, so keep them cheap. An exception thrown here stops training (the last checkpoint stays valid).
 */
public interface TrainingListener {
  /** Training starts or resumes. */
  default void onTrainingStart(TrainingConfig config, int firstEpoch, String trainDescription) {}

  default void onEpochStart(EpochStart start) {}

  default void onStepEnd(StepResult step) {}

  /** An evaluation after {@code epoch} finished (also the re-evaluation after the last epoch, if one happens). */
  default void onEvaluation(int epoch, EvaluationResult result) {}

  default void onEpochEnd(EpochRecord record) {}

  /** A checkpoint was written to {@code directory}; {@code epoch} and {@code step} are where a resume continues. */
  default void onCheckpoint(Path directory, int epoch, int step) {}

  default void onTrainingEnd(TrainingResult result) {}

  /**
   * A remark of the strategy being trained, for the log (e.g. BSQ's average precision after a re-quantization). One
   * line, without a trailing newline.
   */
  default void onNote(String note) {}
}
