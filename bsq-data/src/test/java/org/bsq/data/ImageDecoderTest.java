package org.bsq.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Crop and flip on a handmade 2-channel 3x3 image with the identity lookup table (pixel value as float). */
class ImageDecoderTest {
  private static final byte[] IMAGE = {
    // channel 0
    1, 2, 3,
    4, 5, 6,
    7, 8, 9,
    // channel 1
    11, 12, 13,
    14, 15, 16,
    17, 18, 19,
  };

  /** lut[c*256 + p] = p + 100 * c, so the pad value is 0 in channel 0 and 100 in channel 1. */
  private static float[] lut() {
    float[] lut = new float[512];
    for (int c = 0; c < 2; c++) {
      for (int p = 0; p < 256; p++) {
        lut[c * 256 + p] = p + 100 * c;
      }
    }
    return lut;
  }

  private static float[] run(int padding, int dy, int dx, boolean flip) {
    float[] out = new float[2 + 18];
    out[0] = -1;
    out[19] = -1;
    ImageDecoder.decodeAugmented(IMAGE, 0, 2, 3, 3, padding, dy, dx, flip, lut(), out, 1);
    assertEquals(-1, out[0]); // nothing written outside the image
    assertEquals(-1, out[19]);
    return java.util.Arrays.copyOfRange(out, 1, 19);
  }

  @Test
  void centreCropIsTheImage() {
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 111, 112, 113, 114, 115, 116, 117, 118, 119},
        run(1, 1, 1, false));
  }

  @Test
  void flipMirrorsRows() {
    assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4, 9, 8, 7, 113, 112, 111, 116, 115, 114, 119, 118, 117},
        run(1, 1, 1, true));
  }

  @Test
  void topLeftCropShiftsInZeroPadding() {
    // padded 5x5 channel 0, crop at (0,0): row 0 all pad, then [pad 1 2], [pad 4 5]
    assertArrayEquals(new float[] {0, 0, 0, 0, 1, 2, 0, 4, 5, 100, 100, 100, 100, 111, 112, 100, 114, 115},
        run(1, 0, 0, false));
  }

  @Test
  void bottomRightCropThenFlip() {
    // crop at (2,2) of the padded image: [5 6 pad], [8 9 pad], [pad pad pad]; flipped: [pad 6 5], [pad 9 8], pad row
    assertArrayEquals(new float[] {0, 6, 5, 0, 9, 8, 0, 0, 0, 100, 116, 115, 100, 119, 118, 100, 100, 100},
        run(1, 2, 2, true));
  }

  @Test
  void topRightCropThenFlipAndLargePadding() {
    // crop at (0,2), pad 1: rows [pad pad pad], [2 3 pad], [5 6 pad]; flipped: [pad pad pad], [pad 3 2], [pad 6 5]
    assertArrayEquals(new float[] {0, 0, 0, 0, 3, 2, 0, 6, 5, 100, 100, 100, 100, 113, 112, 100, 116, 115},
        run(1, 0, 2, true));
    // pad 3, offset (0,0): the whole window is padding
    float[] allPad = run(3, 0, 0, false);
    for (int i = 0; i < 18; i++) {
      assertEquals(i < 9 ? 0 : 100, allPad[i]);
    }
    // pad 3, offset (5,1): rows 2.., columns -2..: only pixel (0,2) of the window sees the source (2,0)
    float[] corner = run(3, 5, 1, false);
    assertArrayEquals(new float[] {0, 0, 7, 0, 0, 0, 0, 0, 0, 100, 100, 117, 100, 100, 100, 100, 100, 100}, corner);
  }

  @Test
  void plainDecodeUsesTheTable() {
    float[] out = new float[18];
    ImageDecoder.decode(IMAGE, 0, 2, 9, lut(), out, 0);
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 111, 112, 113, 114, 115, 116, 117, 118, 119}, out);
  }
}
