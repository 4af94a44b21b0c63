package org.bsq.core.train;

import java.util.Map;

/**
 * What one training step did, for {@link TrainingListener#onStepEnd}.
 *
 * @param epoch the epoch (0-based)
 * @param step the batch index within the epoch (0-based)
 * @param stepsPerEpoch batches per epoch
 * @param globalStep optimizer steps taken so far, this one included
 * @param samples valid samples in the batch
 * @param loss the batch's mean cross-entropy
 * @param objective cross-entropy plus every loss term
 * @param terms each loss term's value, by name
 * @param correct samples of the batch whose label was the top-1 prediction
 * @param learningRate the learning rate of the step
 * @param epochMeanLoss sample-weighted mean cross-entropy of the epoch so far
 * @param epochTop1 top-1 accuracy (fraction) of the epoch so far
 * @param epochSamples samples of the epoch so far
 */
public record StepResult(int epoch, int step, int stepsPerEpoch, long globalStep, int samples, double loss,
    double objective, Map<String, Double> terms, int correct, double learningRate, double epochMeanLoss,
    double epochTop1, long epochSamples) {

  public StepResult {
    terms = Map.copyOf(terms);
  }
}
