package org.bsq.data;

import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Zalando Research, MIT licence; H. Xiao, K. Rasul, R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset
 * for Benchmarking Machine Learning Algorithms", arXiv:1708.07747, 2017): 28x28 grey images of 10 clothing classes,
 * 60,000 training and 10,000 test images, distributed as IDX files.
 */
public final class FashionMnist {
  /** Label i names class i. */
  public static final List<String> CLASS_NAMES = List.of(
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
  /**
   * Normalization from the training-set statistics: mean 0.2860, std 0.3530 (all 47 M pixels of the 60,000 training
   * images scaled to [0, 1]; 0.28604 and 0.35302 before rounding).
   */
  public static final Normalization NORMALIZATION = Normalization.FASHION_MNIST;
  /** Default training augmentation: random crop 28 after zero padding 2, random horizontal flip. */
  public static final Augmentation AUGMENTATION = Augmentation.cropAndFlip(2);
  /** Where the Debian package {@code dataset-fashion-mnist} installs the full data set. */
  public static final String DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";

  private FashionMnist() {}

  /**
   * Loads the full data set from an IDX directory holding the four standard files (raw or {@code .gz}), or from its
   * subdirectory {@code fashion-mnist/}.
   */
  public static DataSplits load(Path dir) {
    return Idx.loadDirectory(dir, List.of("fashion-mnist", "fashion_mnist", "FashionMNIST/raw"), "Fashion-MNIST",
        CLASS_NAMES);
  }
}
