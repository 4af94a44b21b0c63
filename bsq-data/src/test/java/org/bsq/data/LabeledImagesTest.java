package org.bsq.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ReadOnlyBufferException;
import java.util.List;
import org.bsq.core.graph.Shape;
import org.junit.jupiter.api.Test;

class LabeledImagesTest {
  @Test
  void validatesLengthsAndLabels() {
    Shape shape = new Shape(1, 2, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LabeledImages(new byte[7], new byte[2], shape, List.of("a", "b"), "sha256:x", "s"));
    assertEquals("pixel array length must be 2 x 1x2x2 = 8, was 7", e.getMessage());
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> new LabeledImages(new byte[8], new byte[] {0, 2}, shape, List.of("a", "b"), "sha256:x", "s"));
    assertEquals("label of image 1 must be in [0, 1], was 2", e2.getMessage());
  }

  @Test
  void accessorsFirstAndReadOnlyViews() {
    LabeledImages images = TestData.images(10, 2, 3, 3, 4);
    assertArrayEquals(new int[] {3, 3, 2, 2}, images.labelCounts());
    assertEquals(18, images.imageBytes());
    assertEquals((5 * 17 + 9 + 3 * 1 + 2) & 0xFF, images.pixel(5, 1, 1, 2));
    LabeledImages first = images.first(4);
    assertEquals(4, first.size());
    assertArrayEquals(images.image(3), first.image(3));
    assertTrue(first.source().endsWith("first 4 images"));
    assertSame(images, images.first(10));
    assertThrows(IllegalArgumentException.class, () -> images.first(11));
    assertThrows(ReadOnlyBufferException.class, () -> images.pixelBuffer().put(0, (byte) 1));
    assertThrows(IndexOutOfBoundsException.class, () -> images.label(10));
  }

  @Test
  void aHeldOutSplitIsDisjointSeededAndKeepsTheSourceOrder() {
    LabeledImages images = TestData.images(50, 2, 3, 3, 4);
    LabeledImages.HeldOut a = images.holdOut(12, 7);
    assertEquals(12, a.heldOut().size());
    assertEquals(38, a.rest().size());
    int[] held = a.indices();
    for (int k = 1; k < held.length; k++) {
      assertTrue(held[k] > held[k - 1], "ascending, no repeats");
    }
    java.util.Set<Integer> chosen = new java.util.HashSet<>();
    for (int k = 0; k < held.length; k++) {
      chosen.add(held[k]);
      assertArrayEquals(images.image(held[k]), a.heldOut().image(k));
      assertEquals(images.label(held[k]), a.heldOut().label(k));
    }
    for (int i = 0, r = 0; i < images.size(); i++) {
      if (!chosen.contains(i)) {
        assertArrayEquals(images.image(i), a.rest().image(r++), "the rest keeps every other image, in order");
      }
    }
    assertArrayEquals(held, images.holdOut(12, 7).indices(), "same seed, same images");
    assertEquals(a.indicesChecksum(), images.holdOut(12, 7).indicesChecksum());
    assertFalse(java.util.Arrays.equals(held, images.holdOut(12, 8).indices()), "another seed, other images");
    assertEquals(images.checksum(), a.rest().checksum());
    assertTrue(a.heldOut().source().endsWith("the 12 images held out by seed 7"), a.heldOut().source());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> images.holdOut(50, 1));
    assertEquals("held-out images must be in [1, 49] (some must stay for training), was 50", e.getMessage());
  }

  @Test
  void normalizationValidatesAndCompares() {
    assertThrows(IllegalArgumentException.class, () -> Normalization.of(new double[] {0.5}, new double[] {0}));
    assertThrows(IllegalArgumentException.class, () -> Normalization.of(new double[] {0.5, 0.5}, new double[] {1}));
    assertEquals(Normalization.of(0.2860, 0.3530), Normalization.FASHION_MNIST);
    assertEquals(1f, Normalization.unit(3).apply(2, 255));
    assertEquals(3, Normalization.CIFAR10.channels());
  }
}
