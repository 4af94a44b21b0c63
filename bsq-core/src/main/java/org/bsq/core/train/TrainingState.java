package org.bsq.core.train;

import java.util.List;

/**
 * Where a {@link Trainer} stands, as saved in a {@link Checkpoint}: together with the config, the parameters and the
 * optimizer state it determines the rest of the run (data epochs depend only on (seed, epoch), the learning rate only
 * on the config and the position, hook randomness only on the seed and the epoch).
 *
 * @param epoch the epoch a resume continues in (0-based; equals the number of epochs when training is complete)
 * @param step the next batch index within {@code epoch}
 * @param epochStarted whether {@code epoch}'s {@link EpochHook#beforeEpoch} hooks already ran (true for a checkpoint
 *     taken inside an epoch)
 * @param globalStep optimizer steps taken so far
 * @param learningRate the optimizer's learning rate at the last step
 * @param epochLossSum sum over the epoch's steps so far of batch mean cross-entropy times batch size
 * @param epochObjectiveSum the same for cross-entropy plus loss terms
 * @param epochCorrect top-1 hits of the epoch's training steps so far
 * @param epochSamples samples of the epoch so far
 * @param epochTrainSeconds seconds spent on the epoch's training steps so far
 * @param epochLearningRate the learning rate at the epoch's first step
 * @param history completed epochs
 * @param bestEpoch epoch with the best evaluation top-1 so far, -1 when none
 * @param bestEvaluation its evaluation, or null
 * @param trainDescription the training source's description (for messages)
 * @param stepsPerEpoch the training source's batches per epoch (checked on resume)
 * @param trainSamples the training source's samples (checked on resume)
 */
public record TrainingState(int epoch, int step, boolean epochStarted, long globalStep, double learningRate,
    double epochLossSum, double epochObjectiveSum, long epochCorrect, long epochSamples, double epochTrainSeconds,
    double epochLearningRate, List<EpochRecord> history, int bestEpoch, EvaluationResult bestEvaluation,
    String trainDescription, int stepsPerEpoch, int trainSamples) {

  public TrainingState {
    if (epoch < 0 || step < 0 || globalStep < 0) {
      throw new IllegalArgumentException("training position must be >= 0, was epoch " + epoch + " step " + step
          + " global step " + globalStep);
    }
    history = List.copyOf(history);
  }
}
