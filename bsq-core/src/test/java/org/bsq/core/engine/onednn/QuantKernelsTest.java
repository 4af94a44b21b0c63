package org.bsq.core.engine.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast (branch-free) quantized-activation kernels against their literal definitions, bit for bit. */
class QuantKernelsTest {
  @Test
  void quantizeEqualsTheLiteralFormula() {
    Random r = new Random(7);
    for (int bits = 1; bits <= 16; bits++) {
      int n = 20_000;
      float[] y = new float[n];
      for (int i = 0; i < n; i++) {
        y[i] = i % 97 == 0 ? 0f : (float) (r.nextGaussian() * 2);
      }
      y[5] = -0f;
      float s = 0f;
      for (float v : y) {
        s = Math.max(s, Math.abs(v));
      }
      float[] fast = y.clone();
      QuantKernels.quantize(fast, n, s, bits);
      float step = (float) ((1 << bits) - 1);
      for (int i = 0; i < n; i++) {
        float v = y[i];
        float q = (float) Math.rint((Math.abs(v) * step) / s) / step;
        float expected = (s * q) * (v > 0f ? 1f : (v < 0f ? -1f : 0f));
        assertEquals(expected, fast[i], 0f, "bits " + bits + " element " + i + " value " + v);
      }
    }
  }

  @Test
  void quantizeNonNegativeEqualsQuantizeBitForBit() {
    Random r = new Random(11);
    for (int bits = 1; bits <= 16; bits++) {
      int n = 20_000;
      float[] y = new float[n];
      for (int i = 0; i < n; i++) {
        y[i] = i % 89 == 0 ? 0f : (float) Math.min(6, Math.max(0, r.nextGaussian() * 3));
      }
      y[7] = 6f;
      for (float scale : new float[] {6f, 5.123f, 0f, Float.MIN_VALUE}) {
        float[] expected = y.clone();
        float[] fast = y.clone();
        if (scale == 0f) {
          java.util.Arrays.fill(expected, 0f);
          java.util.Arrays.fill(fast, 0f);
        }
        QuantKernels.quantize(expected, n, scale, bits);
        QuantKernels.quantizeNonNegative(fast, n, scale, bits);
        for (int i = 0; i < n; i++) {
          assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(fast[i]),
              "bits " + bits + " scale " + scale + " element " + i + " value " + y[i]);
        }
      }
    }
  }

  @Test
  void quantizeRoundsTiesToEven() {
    // S = 3 and 2 bits (step 3): |y| * 3 / 3 = |y|, so 0.5 -> 0, 1.5 -> 2, 2.5 -> 2
    float[] y = {0.5f, 1.5f, 2.5f, -1.5f, 3f};
    QuantKernels.quantize(y, y.length, 3f, 2);
    assertEquals(0f, y[0]);
    assertEquals(2f, y[1]);
    assertEquals(2f, y[2]);
    assertEquals(-2f, y[3]);
    assertEquals(3f, y[4]);
  }
}
