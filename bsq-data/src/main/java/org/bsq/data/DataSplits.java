package org.bsq.data;

import java.util.Objects;

/**
 * The training and test splits of one data set.
 *
 * @param train the training split
 * @param test the test split
 */
public record DataSplits(LabeledImages train, LabeledImages test) {
  public DataSplits {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
    if (!train.shape().equals(test.shape())) {
      throw new IllegalArgumentException(
          "test image shape must equal the training image shape " + train.shape() + ", was " + test.shape());
    }
    if (!train.classNames().equals(test.classNames())) {
      throw new IllegalArgumentException(
          "test class names must equal the training class names " + train.classNames() + ", was " + test.classNames());
    }
  }
}
