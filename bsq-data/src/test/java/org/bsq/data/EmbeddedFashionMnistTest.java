package org.bsq.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedFashionMnistTest {
  @Test
  void loadsBalancedSubsetWithRightShape() {
    DataSplits s = EmbeddedFashionMnist.load();
    assertEquals(6000, s.train().size());
    assertEquals(1000, s.test().size());
    int[] train = new int[10];
    Arrays.fill(train, 600);
    int[] test = new int[10];
    Arrays.fill(test, 100);
    assertArrayEquals(train, s.train().labelCounts());
    assertArrayEquals(test, s.test().labelCounts());
    assertEquals(1, s.train().channels());
    assertEquals(28, s.train().height());
    assertEquals(28, s.train().width());
    assertEquals(FashionMnist.CLASS_NAMES, s.train().classNames());
    assertTrue(s.train().checksum().startsWith("sha256:"));
    // real images, not blank: mean pixel near the Fashion-MNIST mean 0.286
    long sum = 0;
    for (int i = 0; i < s.train().size(); i++) {
      for (byte b : s.train().image(i)) {
        sum += b & 0xFF;
      }
    }
    double mean = sum / 255.0 / (6000.0 * 784);
    assertEquals(0.286, mean, 0.02);
  }

  @Test
  void firstTestImagesFollowTheOfficialOrder() {
    // the official test split starts with labels 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 (all kept: < 100 per class so far)
    LabeledImages test = EmbeddedFashionMnist.loadTest();
    int[] first = new int[10];
    for (int i = 0; i < 10; i++) {
      first[i] = test.label(i);
    }
    assertArrayEquals(new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, first);
  }

  @Test
  void generatorReproducesTheCommittedFiles(@TempDir Path tmp) throws Exception {
    Path source = Path.of(FashionMnist.DEBIAN_DIR);
    Assumptions.assumeTrue(Files.isRegularFile(source.resolve("train-images-idx3-ubyte.gz")),
        "Debian package dataset-fashion-mnist not installed (" + source + "): skipping the reproducibility check");
    EmbeddedSubsetGenerator.generate(source, tmp, false); // raw output: the content is what must match
    for (String name : new String[] {Idx.TRAIN_IMAGES, Idx.TRAIN_LABELS, Idx.TEST_IMAGES, Idx.TEST_LABELS}) {
      byte[] regenerated = Files.readAllBytes(tmp.resolve(name));
      byte[] committed;
      try (InputStream in = new GZIPInputStream(
          EmbeddedFashionMnist.class.getResourceAsStream(EmbeddedFashionMnist.RESOURCE_DIR + name + ".gz"))) {
        committed = in.readAllBytes();
      }
      assertArrayEquals(committed, regenerated, name);
    }
  }
}
