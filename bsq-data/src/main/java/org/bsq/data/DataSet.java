package org.bsq.data;

import java.util.Objects;

/**
 * A loaded data set: both splits, the input normalization and the default training augmentation.
 *
 * @param info registry entry
 * @param train training split
 * @param test test split
 * @param normalization per-channel normalization for both splits
 * @param defaultAugmentation training augmentation (null when the data set uses none)
 */
public record DataSet(
    DataSetInfo info, LabeledImages train, LabeledImages test, Normalization normalization,
    Augmentation defaultAugmentation) {
  public DataSet {
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
    Objects.requireNonNull(normalization, "normalization");
  }

  /** Training loader: shuffled, with the default augmentation, seeded, default prefetch. */
  public DataLoader trainLoader(int batchSize, long seed) {
    return DataLoader.builder(train, batchSize).shuffle(true).augmentation(defaultAugmentation)
        .normalization(normalization).seed(seed).name(info.name() + "/train").build();
  }

  /** Evaluation loader over the test split: split order, no augmentation, first {@code limit} samples at most. */
  public DataLoader testLoader(int batchSize, int limit) {
    return DataLoader.builder(test, batchSize).normalization(normalization).limit(limit)
        .name(info.name() + "/test").build();
  }

  /** Evaluation loader over the whole test split. */
  public DataLoader testLoader(int batchSize) { return testLoader(batchSize, test.size()); }
}
