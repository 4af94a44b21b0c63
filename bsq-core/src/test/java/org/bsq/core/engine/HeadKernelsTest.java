package org.bsq.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The shared head kernels: hand-checked values, and any split of the row range gives the same bits. */
class HeadKernelsTest {
  @Test
  void linearAndPoolingOnASmallCase() {
    float[] x = {1f, 2f, 3f, -1f, 0.5f, 4f};          // 2 samples x 3 features
    float[] w = {1f, 0f, -1f, 2f, 1f, 0.5f};          // 2 outputs x 3 inputs
    float[] b = {0.25f, -1f};
    float[] y = new float[4];
    HeadKernels.linearForward(x, w, b, y, 3, 2, 0, 2);
    assertArrayEquals(new float[] {0.25f + 1 - 3, -1f + 2 + 2 + 1.5f, 0.25f - 1 - 4, -1f - 2 + 0.5f + 2}, y, 0f);
    float[] g = {1f, 2f, -1f, 0.5f};
    float[] dw = new float[6];
    float[] db = {10f, 10f};
    HeadKernels.linearParameterGradients(x, g, dw, db, 2, 3, 2, 0, 2);
    assertArrayEquals(new float[] {2f, 1.5f, -1f, 1.5f, 4.25f, 8f}, dw, 0f);
    assertArrayEquals(new float[] {10f, 12.5f}, db, 0f, "bias gradients add to what was there");
    float[] dx = {100f, 100f, 100f, 100f, 100f, 100f};
    HeadKernels.linearInputGradient(g, w, dx, 3, 2, 0, 2, false);
    assertArrayEquals(new float[] {5f, 2f, 0f, 0f, 0.5f, 1.25f}, dx, 0f);
    HeadKernels.linearInputGradient(g, w, dx, 3, 2, 0, 2, true);
    assertArrayEquals(new float[] {10f, 4f, 0f, 0f, 1f, 2.5f}, dx, 0f);

    float[] pooled = new float[2];
    HeadKernels.avgPoolForward(new float[] {1f, 2f, 3f, 6f, 0f, -2f, 4f, 2f}, pooled, 4, 0, 2);
    assertArrayEquals(new float[] {3f, 1f}, pooled, 0f);
    float[] dp = {1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f};
    HeadKernels.avgPoolBackward(new float[] {4f, -2f}, dp, 4, 0, 2, true);
    assertArrayEquals(new float[] {2f, 2f, 2f, 2f, 0.5f, 0.5f, 0.5f, 0.5f}, dp, 0f);
  }

  @Test
  void splittingTheRowsChangesNoBits() {
    Random r = new Random(9);
    int batch = 7;
    int in = 13;
    int out = 5;
    float[] x = random(r, batch * in);
    float[] w = random(r, out * in);
    float[] b = random(r, out);
    float[] g = random(r, batch * out);
    float[] whole = new float[batch * out];
    HeadKernels.linearForward(x, w, b, whole, in, out, 0, batch);
    float[] split = new float[batch * out];
    HeadKernels.linearForward(x, w, b, split, in, out, 0, 3);
    HeadKernels.linearForward(x, w, b, split, in, out, 3, batch);
    assertArrayEquals(whole, split, 0f);
    float[] dw1 = new float[out * in];
    float[] db1 = new float[out];
    HeadKernels.linearParameterGradients(x, g, dw1, db1, batch, in, out, 0, out);
    float[] dw2 = new float[out * in];
    float[] db2 = new float[out];
    HeadKernels.linearParameterGradients(x, g, dw2, db2, batch, in, out, 0, 2);
    HeadKernels.linearParameterGradients(x, g, dw2, db2, batch, in, out, 2, out);
    assertArrayEquals(dw1, dw2, 0f);
    assertArrayEquals(db1, db2, 0f);
    assertEquals(whole.length, split.length);
  }

  private static float[] random(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }
}
