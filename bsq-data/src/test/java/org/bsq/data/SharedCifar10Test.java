package org.bsq.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Reads the JPEG-q75 CIFAR-10 copy in shared/data (skipped when absent). */
class SharedCifar10Test {
  private static Path sharedDataDir() {
    String shared = System.getProperty("bsq.shared.dir");
    Assumptions.assumeTrue(shared != null, "system property bsq.shared.dir not set: skipping shared CIFAR-10 test");
    Path data = Path.of(shared, "data");
    Assumptions.assumeTrue(Files.isRegularFile(data.resolve(Cifar10.SHARED_JPEG_DIR).resolve("test_batch.bin")),
        "shared CIFAR-10 copy not found under " + data.toAbsolutePath() + ": skipping");
    return data;
  }

  @Test
  void firstBatchFileHasTheOfficialLabelCounts() {
    Path dir = sharedDataDir().resolve(Cifar10.SHARED_JPEG_DIR);
    LabeledImages batch1 = Cifar10.readBatchFile(dir.resolve("data_batch_1.bin"));
    assertEquals(10_000, batch1.size());
    assertArrayEquals(new int[] {1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981}, batch1.labelCounts());
  }

  @Test
  void registryLoadsFiftyThousandAndTenThousand() {
    DataSet ds = DataSets.load("cifar10", sharedDataDir()); // found as <dir>/cifar-10-jpeg-q75-batches-bin
    assertEquals(50_000, ds.train().size());
    assertEquals(10_000, ds.test().size());
    int[] train = ds.train().labelCounts();
    int[] test = ds.test().labelCounts();
    for (int c = 0; c < 10; c++) {
      assertEquals(5000, train[c]);
      assertEquals(1000, test[c]);
    }
    assertEquals(Cifar10.CLASS_NAMES, ds.train().classNames()); // from batches.meta.txt
    assertTrue(ds.train().source().contains("JPEG"), ds.train().source());
    int[] firstFile = new int[10];
    for (int i = 0; i < 10_000; i++) {
      firstFile[ds.train().label(i)]++;
    }
    assertArrayEquals(new int[] {1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981}, firstFile);
  }
}
