package org.bsq.core.train;

import org.bsq.core.engine.Model;
import org.bsq.core.param.ParameterStore;

/**
 * Where a training step stands, for {@link LossTerm}s and {@link StepHook}s.
 *
 * @param model the model being trained
 * @param epoch the epoch (0-based)
 * @param step the batch index within the epoch (0-based)
 * @param stepsPerEpoch batches per epoch
 * @param globalStep optimizer steps taken before this one, over the whole run
 * @param batchSize valid samples in this batch
 * @param learningRate the learning rate of this step
 */
public record StepContext(Model model, int epoch, int step, int stepsPerEpoch, long globalStep, int batchSize,
    double learningRate) {

  /** The model's parameter store. */
  public ParameterStore parameters() { return model.parameters(); }
}
