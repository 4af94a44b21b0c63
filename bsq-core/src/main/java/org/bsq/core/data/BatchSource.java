package org.bsq.core.data;

/**
 * A split of a data set as the engine consumes it: deterministic passes (epochs) of mini-batches. Implementations
 * derive shuffling and augmentation from a seed and the epoch number only, so epoch {@code e} yields the same batches
 * whether or not earlier epochs ran in this process (this is what makes resume exact).
 */
public interface BatchSource {
  /** Short description for logs, e.g. "cifar10/train (50000, augmented)". */
  String description();

  int numSamples();

  int channels();

  int height();

  int width();

  int numClasses();

  int batchSize();

  /** Number of batches in one epoch (the last one may be smaller than {@link #batchSize()}). */
  default int batchesPerEpoch() {
    return (numSamples() + batchSize() - 1) / batchSize();
  }

  /**
   * The batches of epoch {@code epoch} (0-based), starting at batch {@code firstBatch} (to resume inside an epoch).
   * The iterator may prepare batches in the background; close it to stop that work.
   */
  BatchIterator epoch(int epoch, int firstBatch);

  default BatchIterator epoch(int epoch) {
    return epoch(epoch, 0);
  }
}
