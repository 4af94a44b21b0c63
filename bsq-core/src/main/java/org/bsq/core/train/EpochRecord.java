package org.bsq.core.train;

/**
 * One epoch of the training history.
 *
 * @param epoch the epoch (0-based)
 * @param learningRate the learning rate at the epoch's first step
 * @param trainLoss sample-weighted mean cross-entropy of the training steps (training mode, before each update)
 * @param trainObjective sample-weighted mean of cross-entropy plus all loss terms
 * @param trainTop1 top-1 accuracy (fraction) of the training-mode logits
 * @param trainSamples training samples seen in this epoch
 * @param evaluation the evaluation after this epoch, or null when none was due
 * @param trainSeconds wall-clock seconds of the training steps
 * @param seconds wall-clock seconds of the whole epoch (training, evaluation, checkpoints)
 */
public record EpochRecord(int epoch, double learningRate, double trainLoss, double trainObjective, double trainTop1,
    long trainSamples, EvaluationResult evaluation, double trainSeconds, double seconds) {

  /** Test/validation top-1 (fraction), NaN when this epoch was not evaluated. */
  public double testTop1() { return evaluation == null ? Double.NaN : evaluation.top1(); }

  /** Test/validation top-5 (fraction), NaN when this epoch was not evaluated. */
  public double testTop5() { return evaluation == null ? Double.NaN : evaluation.top5(); }

  /** Test/validation loss, NaN when this epoch was not evaluated. */
  public double testLoss() { return evaluation == null ? Double.NaN : evaluation.loss(); }

  /** The same record with every time set to 0, for comparing runs. */
  public EpochRecord withoutTimings() {
    return new EpochRecord(epoch, learningRate, trainLoss, trainObjective, trainTop1, trainSamples,
        evaluation == null ? null : evaluation.withoutTimings(), 0, 0);
  }
}
