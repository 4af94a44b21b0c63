package org.bsq.core.train;

import java.util.List;

/**
 * What a training run produced.
 *
 * @param history one record per completed epoch, including those restored from a checkpoint
 * @param completedEpochs epochs completed
 * @param steps optimizer steps taken over the whole run
 * @param finalEvaluation evaluation of the model as it is when training returns (after keep-best restore and
 *     {@link EpochHook#afterTraining} hooks), or null without an evaluation source
 * @param bestEpoch the epoch with the best evaluation top-1 (first one on ties), or -1 when none was evaluated
 * @param bestEvaluation that epoch's evaluation, or null
 * @param seconds wall-clock seconds of this call (not of earlier processes of a resumed run)
 */
public record TrainingResult(List<EpochRecord> history, int completedEpochs, long steps,
    EvaluationResult finalEvaluation, int bestEpoch, EvaluationResult bestEvaluation, double seconds) {

  public TrainingResult {
    history = List.copyOf(history);
  }

  /** The same result with every time set to 0, for comparing runs. */
  public TrainingResult withoutTimings() {
    return new TrainingResult(history.stream().map(EpochRecord::withoutTimings).toList(), completedEpochs, steps,
        finalEvaluation == null ? null : finalEvaluation.withoutTimings(), bestEpoch,
        bestEvaluation == null ? null : bestEvaluation.withoutTimings(), 0);
  }
}
