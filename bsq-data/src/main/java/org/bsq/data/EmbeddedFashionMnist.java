package org.bsq.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The default data set committed in this module: a class-balanced subset of Fashion-MNIST (see {@link FashionMnist})
 * taken from the Debian package {@code dataset-fashion-mnist}: the first {@value #TRAIN_PER_CLASS} training images of
 * each class and the first {@value #TEST_PER_CLASS} test images of each class, in file order (6,000 training and
 * 1,000 test images of 1x28x28). The gzip IDX files live in the resource folder {@value #RESOURCE_DIR}, next to a
 * README with the attribution and the exact subset rule; {@code EmbeddedSubsetGenerator} (test sources) regenerates
 * them.
 */
public final class EmbeddedFashionMnist {
  /** Classpath folder of the embedded files. */
  public static final String RESOURCE_DIR = "/org/bsq/data/embedded/fashion-mnist/";
  public static final int TRAIN_PER_CLASS = 600;
  public static final int TEST_PER_CLASS = 100;
  public static final int TRAIN_SIZE = TRAIN_PER_CLASS * 10;
  public static final int TEST_SIZE = TEST_PER_CLASS * 10;

  private EmbeddedFashionMnist() {}

  /** Both splits, read from the classpath. */
  public static DataSplits load() { return new DataSplits(loadTrain(), loadTest()); }

  /** The 6,000 training images. */
  public static LabeledImages loadTrain() {
    return read(Idx.TRAIN_IMAGES + ".gz", Idx.TRAIN_LABELS + ".gz", "train", TRAIN_SIZE);
  }

  /** The 1,000 test images. */
  public static LabeledImages loadTest() {
    return read(Idx.TEST_IMAGES + ".gz", Idx.TEST_LABELS + ".gz", "test", TEST_SIZE);
  }

  private static LabeledImages read(String imagesName, String labelsName, String split, int expected) {
    Idx.Images images;
    byte[] labels;
    try (InputStream in = open(imagesName)) {
      images = Idx.readImages(in, "classpath:" + RESOURCE_DIR + imagesName);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read embedded resource " + RESOURCE_DIR + imagesName, e);
    }
    try (InputStream in = open(labelsName)) {
      labels = Idx.readLabels(in, "classpath:" + RESOURCE_DIR + labelsName);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read embedded resource " + RESOURCE_DIR + labelsName, e);
    }
    if (images.count() != expected) {
      throw new IllegalStateException(
          "embedded Fashion-MNIST " + split + " image count must be " + expected + ", was " + images.count());
    }
    String description = "embedded Fashion-MNIST subset " + split + " (first "
        + (expected / 10) + " per class of the official " + split + " split)";
    return Idx.combine(images, labels, "classpath:" + RESOURCE_DIR + imagesName,
        "classpath:" + RESOURCE_DIR + labelsName, FashionMnist.CLASS_NAMES, description);
  }

  private static InputStream open(String name) {
    InputStream in = EmbeddedFashionMnist.class.getResourceAsStream(RESOURCE_DIR + name);
    if (in == null) {
      String message = "embedded resource " + RESOURCE_DIR + name + " must be on the classpath (bsq-data jar), was missing";
      throw new UncheckedIOException(message, new java.io.FileNotFoundException(message));
    }
    return in;
  }
}
