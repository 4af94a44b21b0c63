package org.bsq.core.engine;

/**
 * The Java kernels of the network head (global average pooling, linear layer) on plain NCHW / {@code [batch,
 * features]} float arrays, shared by the backends so that both compute it bit for bit alike: every sum in double,
 * in a fixed order. Each works on a range of rows ({@code [from, to)}) so that a backend may split the work over
 * threads; results do not depend on the split.
 */
public final class HeadKernels {
  private HeadKernels() {}

  /** {@code y[p] = mean(x[p * area .. (p + 1) * area))} for planes {@code p} in {@code [from, to)}. */
  public static void avgPoolForward(float[] x, float[] y, int area, int from, int to) {
    for (int p = from; p < to; p++) {
      double sum = 0;
      int base = p * area;
      for (int j = 0; j < area; j++) {
        sum += x[base + j];
      }
      y[p] = (float) (sum / area);
    }
  }

  /**
   * dL/dx of {@link #avgPoolForward}: {@code g[p] / area} over each plane in {@code [from, to)}, added to {@code dx}
   * ({@code accumulate}) or written into it.
   */
  public static void avgPoolBackward(float[] g, float[] dx, int area, int from, int to, boolean accumulate) {
    for (int p = from; p < to; p++) {
      float v = (float) ((double) g[p] / area);
      int base = p * area;
      for (int j = 0; j < area; j++) {
        dx[base + j] = accumulate ? dx[base + j] + v : v;
      }
    }
  }

  /** {@code y[n][o] = b[o] + sum_i x[n][i] * w[o][i]} for samples {@code n} in {@code [from, to)}. */
  public static void linearForward(float[] x, float[] w, float[] b, float[] y, int in, int out, int from, int to) {
    for (int n = from; n < to; n++) {
      int xBase = n * in;
      for (int o = 0; o < out; o++) {
        int wBase = o * in;
        double sum = b[o];
        for (int i = 0; i < in; i++) {
          sum += (double) x[xBase + i] * w[wBase + i];
        }
        y[n * out + o] = (float) sum;
      }
    }
  }

  /**
   * Parameter gradients of {@link #linearForward} for output features {@code o} in {@code [from, to)}:
   * {@code dw[o][i] = sum_n g[n][o] x[n][i]} (written) and {@code db[o] += sum_n g[n][o]}.
   */
  public static void linearParameterGradients(float[] x, float[] g, float[] dw, float[] db, int batch, int in,
      int out, int from, int to) {
    for (int o = from; o < to; o++) {
      double sumB = 0;
      for (int n = 0; n < batch; n++) {
        sumB += g[n * out + o];
      }
      db[o] += (float) sumB;
      int wBase = o * in;
      for (int i = 0; i < in; i++) {
        double sum = 0;
        for (int n = 0; n < batch; n++) {
          sum += (double) g[n * out + o] * x[n * in + i];
        }
        dw[wBase + i] = (float) sum;
      }
    }
  }

  /**
   * dL/dx of {@link #linearForward} for samples {@code n} in {@code [from, to)}: {@code sum_o g[n][o] w[o][i]}, added
   * to {@code dx} ({@code accumulate}) or written into it.
   */
  public static void linearInputGradient(float[] g, float[] w, float[] dx, int in, int out, int from, int to,
      boolean accumulate) {
    for (int n = from; n < to; n++) {
      for (int i = 0; i < in; i++) {
        double sum = 0;
        for (int o = 0; o < out; o++) {
          sum += (double) g[n * out + o] * w[o * in + i];
        }
        int k = n * in + i;
        dx[k] = accumulate ? dx[k] + (float) sum : (float) sum;
      }
    }
  }
}
