package org.bsq.core.train;

/**
 * An epoch is starting (or resuming), for {@link TrainingListener#onEpochStart}.
 *
 * @param epoch the epoch (0-based)
 * @param totalEpochs epochs of the whole run
 * @param firstStep the batch index training starts at (0 unless resuming inside the epoch)
 * @param stepsPerEpoch batches per epoch
 * @param samplesPerEpoch training samples per epoch
 * @param learningRate the learning rate at {@code firstStep}
 */
public record EpochStart(int epoch, int totalEpochs, int firstStep, int stepsPerEpoch, int samplesPerEpoch,
    double learningRate) {}
