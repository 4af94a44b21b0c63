package org.bsq.data;

import java.util.Arrays;

/** The inner loops: unsigned bytes to normalized floats, optionally cropped and flipped (package-private). */
final class ImageDecoder {
  private ImageDecoder() {}

  /** Plain decode of one {@code C x H x W} image through the lookup table {@code lut[c * 256 + pixel]}. */
  static void decode(byte[] src, int srcOff, int channels, int planeSize, float[] lut, float[] dst, int dstOff) {
    for (int c = 0; c < channels; c++) {
      int base = c * 256;
      int s = srcOff + c * planeSize;
      int d = dstOff + c * planeSize;
      for (int i = 0; i < planeSize; i++) {
        dst[d + i] = lut[base + (src[s + i] & 0xFF)];
      }
    }
  }

  /**
   * Decode with crop and flip: output {@code (c, y, x)} is the padded image at row {@code y + dy} and column
   * {@code x' + dx}, where {@code x' = flip ? W - 1 - x : x}; the padded image is the source shifted by
   * {@code padding} with zeros around it. {@code dy, dx} are in {@code [0, 2 * padding]}.
   */
  static void decodeAugmented(
      byte[] src, int srcOff, int channels, int height, int width, int padding, int dy, int dx, boolean flip,
      float[] lut, float[] dst, int dstOff) {
    int shiftY = dy - padding;
    int shiftX = dx - padding;
    int plane = height * width;
    for (int c = 0; c < channels; c++) {
      int base = c * 256;
      float pad = lut[base];
      int srcPlane = srcOff + c * plane;
      int dstPlane = dstOff + c * plane;
      for (int y = 0; y < height; y++) {
        int sy = y + shiftY;
        int d = dstPlane + y * width;
        if (sy < 0 || sy >= height) {
          Arrays.fill(dst, d, d + width, pad);
          continue;
        }
        int srcRow = srcPlane + sy * width;
        if (!flip) {
          // sx = x + shiftX in [0, width)
          int x0 = Math.max(0, -shiftX);
          int x1 = Math.min(width, width - shiftX);
          if (x0 >= x1) {
            Arrays.fill(dst, d, d + width, pad);
            continue;
          }
          Arrays.fill(dst, d, d + x0, pad);
          int s = srcRow + shiftX;
          for (int x = x0; x < x1; x++) {
            dst[d + x] = lut[base + (src[s + x] & 0xFF)];
          }
          Arrays.fill(dst, d + x1, d + width, pad);
        } else {
          // sx = width - 1 - x + shiftX in [0, width)
          int x0 = Math.max(0, shiftX);
          int x1 = Math.min(width, width + shiftX);
          if (x0 >= x1) {
            Arrays.fill(dst, d, d + width, pad);
            continue;
          }
          Arrays.fill(dst, d, d + x0, pad);
          int s = srcRow + width - 1 + shiftX;
          for (int x = x0; x < x1; x++) {
            dst[d + x] = lut[base + (src[s - x] & 0xFF)];
          }
          Arrays.fill(dst, d + x1, d + width, pad);
        }
      }
    }
  }
}
