package org.bsq.data;

import java.util.List;
import java.util.Objects;
import org.bsq.core.graph.Shape;

/**
 * What a registered data set is, before loading it.
 *
 * @param name registry name, e.g. "cifar10"
 * @param description one line for humans
 * @param inputShape per-sample shape {@code C x H x W}
 * @param classNames one name per class
 * @param needsDataDir whether {@link DataSets#load} needs a data directory
 */
public record DataSetInfo(
    String name, String description, Shape inputShape, List<String> classNames, boolean needsDataDir) {
  public DataSetInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(inputShape, "inputShape");
    classNames = List.copyOf(classNames);
  }

  public int numClasses() { return classNames.size(); }
}
