package org.bsq.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
  /** Copy of one batch (the loader reuses its buffers). */
  private record Copy(float[] images, int[] labels, int size, int index) {}

  private static List<Copy> collect(BatchIterator it) {
    List<Copy> out = new ArrayList<>();
    try (it) {
      while (it.hasNext()) {
        Batch b = it.next();
        int floats = b.images().length / b.labels().length * b.size();
        out.add(new Copy(Arrays.copyOf(b.images(), floats), Arrays.copyOf(b.labels(), b.size()), b.size(), b.index()));
      }
    }
    return out;
  }

  private static void assertSame(List<Copy> a, List<Copy> b) {
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).index(), b.get(i).index());
      assertEquals(a.get(i).size(), b.get(i).size());
      assertArrayEquals(a.get(i).labels(), b.get(i).labels(), "labels of batch " + i);
      assertArrayEquals(a.get(i).images(), b.get(i).images(), "images of batch " + i);
    }
  }

  private static DataLoader.Builder augmented(LabeledImages images, int batch, int prefetch) {
    return DataLoader.builder(images, batch).shuffle(true).augmentation(Augmentation.cropAndFlip(2))
        .normalization(Normalization.of(new double[] {0.5, 0.4, 0.3}, new double[] {0.2, 0.25, 0.3}))
        .seed(1234).prefetch(prefetch);
  }

  @Test
  void sameSeedAndEpochGiveIdenticalBatchesWhateverThePrefetch() {
    LabeledImages images = TestData.images(70, 3, 8, 8, 10);
    List<Copy> a = collect(augmented(images, 16, 2).build().epoch(3));
    List<Copy> b = collect(augmented(images, 16, 0).build().epoch(3));
    DataLoader fresh = augmented(images, 16, 5).build();
    collect(fresh.epoch(0)); // earlier epochs running changes nothing
    collect(fresh.epoch(1));
    List<Copy> c = collect(fresh.epoch(3));
    assertSame(a, b);
    assertSame(a, c);
    assertEquals(5, a.size());
    assertEquals(6, a.get(4).size()); // 70 = 4 * 16 + 6: no drop-last
    assertEquals(List.of(0, 1, 2, 3, 4), a.stream().map(Copy::index).toList());
  }

  @Test
  void differentEpochOrSeedGivesDifferentBatches() {
    LabeledImages images = TestData.images(70, 3, 8, 8, 10);
    DataLoader loader = augmented(images, 16, 2).build();
    List<Copy> e0 = collect(loader.epoch(0));
    List<Copy> e1 = collect(loader.epoch(1));
    assertFalse(Arrays.equals(e0.get(0).labels(), e1.get(0).labels())
        && Arrays.equals(e0.get(0).images(), e1.get(0).images()));
    assertFalse(Arrays.equals(loader.sampleOrder(0), loader.sampleOrder(1)));
    DataLoader other = augmented(images, 16, 2).seed(99).build();
    assertFalse(Arrays.equals(loader.sampleOrder(0), other.sampleOrder(0)));
    // same order, augmentation still differs between epochs: compare with shuffling off
    DataLoader noShuffle = augmented(images, 70, 0).shuffle(false).build();
    float[] a = collect(noShuffle.epoch(0)).get(0).images();
    float[] b = collect(noShuffle.epoch(1)).get(0).images();
    assertFalse(Arrays.equals(a, b));
  }

  @Test
  void resumeAtFirstBatchEqualsTheTailOfTheFullEpoch() {
    LabeledImages images = TestData.images(70, 3, 8, 8, 10);
    DataLoader loader = augmented(images, 16, 2).build();
    List<Copy> full = collect(loader.epoch(2));
    for (int k = 0; k <= 5; k++) {
      List<Copy> tail = collect(augmented(images, 16, 2).build().epoch(2, k));
      assertSame(full.subList(k, full.size()), tail);
    }
    assertThrows(IllegalArgumentException.class, () -> loader.epoch(2, 6));
    assertThrows(IllegalArgumentException.class, () -> loader.epoch(-1, 0));
  }

  @Test
  void epochIsAPermutationAndLabelsFollowImages() {
    LabeledImages images = TestData.images(70, 1, 4, 4, 7);
    DataLoader loader = DataLoader.builder(images, 32).shuffle(true).seed(5).build();
    int[] order = loader.sampleOrder(4);
    assertEquals(70, Arrays.stream(order).distinct().count());
    List<Copy> batches = collect(loader.epoch(4));
    int k = 0;
    for (Copy b : batches) {
      for (int i = 0; i < b.size(); i++, k++) {
        int sample = order[k];
        assertEquals(images.label(sample), b.labels()[i]);
        assertEquals(images.pixel(sample, 0, 1, 2) / 255f, b.images()[i * 16 + 6], 1e-7f);
      }
    }
    assertEquals(70, k);
  }

  @Test
  void normalizationValuesWithoutAugmentation() {
    LabeledImages images = TestData.images(3, 3, 2, 2, 2);
    Normalization norm = Normalization.CIFAR10;
    DataLoader loader = DataLoader.builder(images, 4).normalization(norm).prefetch(0).build();
    Copy b = collect(loader.epoch(0)).get(0);
    assertEquals(3, b.size());
    for (int i = 0; i < 3; i++) {
      for (int c = 0; c < 3; c++) {
        for (int p = 0; p < 4; p++) {
          int pixel = images.pixel(i, c, p / 2, p % 2);
          double expected = (pixel / 255.0 - norm.mean(c)) / norm.std(c);
          assertEquals((float) expected, b.images()[i * 12 + c * 4 + p], "image " + i + " channel " + c);
        }
      }
    }
    // spot values: pixel 255 in channel 0, 0 in channel 2
    assertEquals((float) ((1 - 0.4914) / 0.2023), norm.apply(0, 255));
    assertEquals((float) (-0.4465 / 0.2010), norm.apply(2, 0));
    assertEquals((float) ((128 / 255.0 - 0.2860) / 0.3530), Normalization.FASHION_MNIST.apply(0, 128));
  }

  @Test
  void augmentedImagesAreCropsOrFlipsOfTheSourceAndCoverAllOffsets() {
    // one distinct 1x4x4 image repeated; every output must equal one of the 2 * 5 * 5 candidates
    int n = 400;
    byte[] pixels = new byte[n * 16];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 16; j++) {
        pixels[i * 16 + j] = (byte) (10 + j);
      }
    }
    LabeledImages images = new LabeledImages(pixels, new byte[n], new org.bsq.core.graph.Shape(1, 4, 4),
        List.of("only"), "sha256:x", "repeated");
    DataLoader loader = DataLoader.builder(images, 100).augmentation(Augmentation.cropAndFlip(2)).seed(7).build();
    Set<String> seen = new HashSet<>();
    int flips = 0;
    for (Copy b : collect(loader.epoch(0))) {
      for (int i = 0; i < b.size(); i++) {
        float[] out = Arrays.copyOfRange(b.images(), i * 16, i * 16 + 16);
        String match = null;
        for (int dy = 0; dy <= 4 && match == null; dy++) {
          for (int dx = 0; dx <= 4 && match == null; dx++) {
            for (boolean flip : new boolean[] {false, true}) {
              if (Arrays.equals(out, expected(dy, dx, flip))) {
                match = dy + "," + dx + "," + flip;
                if (flip) {
                  flips++;
                }
                break;
              }
            }
          }
        }
        assertTrue(match != null, "output " + Arrays.toString(out) + " is no crop/flip of the source");
        seen.add(match.substring(0, match.lastIndexOf(',')));
      }
    }
    assertEquals(25, seen.size(), "all 5x5 crop offsets occur in 400 draws: " + seen);
    assertTrue(flips > 140 && flips < 260, "about half flipped, was " + flips);
  }

  /** Hand-computed crop (pad 2, 4x4 source with value 10 + j, unit normalization) then optional flip. */
  private static float[] expected(int dy, int dx, boolean flip) {
    float[] out = new float[16];
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        int cx = flip ? 3 - x : x; // flip after crop
        int sy = y + dy - 2;
        int sx = cx + dx - 2;
        boolean inside = sy >= 0 && sy < 4 && sx >= 0 && sx < 4;
        out[y * 4 + x] = inside ? (10 + sy * 4 + sx) / 255f : 0f;
      }
    }
    return out;
  }

  @Test
  void limitUsesTheFirstSamplesOnly() {
    LabeledImages images = TestData.images(50, 1, 2, 2, 5);
    DataLoader loader = DataLoader.builder(images, 8).limit(20).shuffle(true).seed(3).build();
    assertEquals(20, loader.numSamples());
    assertEquals(3, loader.batchesPerEpoch());
    List<Copy> batches = collect(loader.epoch(0));
    assertEquals(4, batches.get(2).size());
    assertTrue(Arrays.stream(loader.sampleOrder(0)).allMatch(i -> i < 20));
    assertEquals(50, DataLoader.builder(images, 8).limit(1000).build().numSamples());
    assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(images, 8).limit(0));
  }

  @Test
  void validatesArguments() {
    LabeledImages images = TestData.images(5, 3, 4, 4, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DataLoader(images, 0, false, null, Normalization.CIFAR10, 0));
    assertEquals("batch size must be >= 1, was 0", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new DataLoader(images, 2, false, null, Normalization.FASHION_MNIST, 0));
    DataLoader loader = new DataLoader(images, 2, true, new Augmentation(4, true), Normalization.CIFAR10, 0);
    assertEquals(3, loader.batchesPerEpoch());
    assertTrue(loader.description().contains("augmented"), loader.description());
    assertNotEquals(null, loader.augmentation());
    assertEquals(null, new DataLoader(images, 2, true, new Augmentation(0, false), Normalization.CIFAR10, 0)
        .augmentation()); // identity augmentation counts as none
    assertThrows(IllegalArgumentException.class,
        () -> new DataLoader(images, 2, true, new Augmentation(5, true), Normalization.CIFAR10, 0));
  }
}
