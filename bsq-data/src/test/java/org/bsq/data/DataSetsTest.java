package org.bsq.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;
import org.bsq.core.graph.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSetsTest {
  @Test
  void namesAreSortedAndUnknownNamesListThem() {
    List<String> names = DataSets.names();
    assertEquals(List.of("cifar10", "embedded", "fashion-mnist", "fashion-mnist-embedded", "mnist"), names);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataSets.load("imagenet", null));
    assertEquals("data set name must be one of [cifar10, embedded, fashion-mnist, fashion-mnist-embedded, mnist], "
        + "was 'imagenet'", e.getMessage());
  }

  @Test
  void infosDescribeShapesAndDirectoryNeeds() {
    DataSetInfo cifar = DataSets.info("CIFAR10");
    assertEquals(new Shape(3, 32, 32), cifar.inputShape());
    assertEquals(10, cifar.numClasses());
    assertTrue(cifar.needsDataDir());
    assertFalse(DataSets.info("embedded").needsDataDir());
    assertEquals(new Shape(1, 28, 28), DataSets.info("mnist").inputShape());
    assertEquals(5, DataSets.infos().size());
  }

  @Test
  void embeddedLoadsWithNormalizationAndAugmentation() {
    DataSet ds = DataSets.load("fashion-mnist-embedded", null);
    assertEquals(6000, ds.train().size());
    assertEquals(Normalization.FASHION_MNIST, ds.normalization());
    assertEquals(new Augmentation(2, true), ds.defaultAugmentation());
    DataLoader train = ds.trainLoader(128, 1);
    assertEquals(47, train.batchesPerEpoch());
    assertTrue(train.description().startsWith("fashion-mnist-embedded/train (6000, augmented"), train.description());
    DataLoader eval = ds.testLoader(100, 250);
    assertEquals(3, eval.batchesPerEpoch());
    assertNull(eval.augmentation());
    try (BatchIterator it = eval.epoch(0)) {
      Batch b = it.next();
      assertEquals(100, b.size());
      assertEquals(ds.test().label(0), b.labels()[0]);
      assertEquals(Normalization.FASHION_MNIST.apply(0, ds.test().pixel(0, 0, 14, 14)), b.images()[14 * 28 + 14]);
    }
  }

  @Test
  void directoryDataSetsNeedADirectoryAndReportMissingFiles(@TempDir Path tmp) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataSets.load("cifar10", null));
    assertEquals("data set 'cifar10' needs a data directory, was none", e.getMessage());
    UncheckedIOException cifar = assertThrows(UncheckedIOException.class, () -> DataSets.load("cifar10", tmp));
    assertTrue(cifar.getMessage().contains("cifar-10-binary.tar.gz"), cifar.getMessage());
    UncheckedIOException mnist = assertThrows(UncheckedIOException.class, () -> DataSets.load("mnist", tmp));
    assertTrue(mnist.getMessage().contains("MNIST") && mnist.getMessage().contains("t10k-labels-idx1-ubyte"),
        mnist.getMessage());
  }
}
