package org.bsq.core.finetune;

/**
 * Weight clipping calibration for {@link FixedPrecisionWeightSource}'s quantizer: with clip {@code c} the layer keeps
 * {@code s = c} and {@code u = W / c}, so weights beyond {@code |W| > c} clamp to {@code +-c} and the grid step is
 * {@code c / (2^bits - 1)}. Clipping trades a larger error on the few large weights for a finer grid on the many small
 * ones, which pays off at low bits.
 *
 * <p>{@link #mseClip} searches {@code c} over the grid {@code c_k = k / GRID * max|W|}, {@code k = 1..GRID}
 * ({@value #GRID} candidates in {@code (0, 1] * max|W|}), and keeps the one with the smallest quantization error
 * {@code ||Q_c(W) - W||^2}; ties keep the larger clip, and {@code c = max|W|} ({@code k = GRID}, the
 * {@code calibration: max} rule) is a candidate, so the chosen clip is never worse than max. The error is computed with
 * the quantizer's own float arithmetic ({@link FixedPrecisionWeightSource#quantize}), summed in double.
 */
public final class WeightClipCalibration {
  /** Number of clip candidates (fractions {@code k / GRID} of {@code max|W|}). */
  public static final int GRID = 200;

  private WeightClipCalibration() {}

  /** {@code max|W|} (0 for all-zero weights). */
  public static float maxAbs(float[] w) {
    float m = 0f;
    for (float v : w) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  /**
   * The quantization error {@code sum_i (c * Q(W_i / c) - W_i)^2} of weights {@code w} at {@code bits} (1..16) with
   * clip {@code c > 0}.
   */
  public static double error(float[] w, float clip, int bits) {
    checkBits(bits);
    if (!(clip > 0f)) {
      throw new IllegalArgumentException("clip must be > 0, was " + clip);
    }
    float levels = (float) ((1 << bits) - 1);
    double sum = 0;
    for (float v : w) {
      float q = FixedPrecisionWeightSource.quantize(v / clip, levels) * clip;
      double d = (double) q - v;
      sum += d * d;
    }
    return sum;
  }

  /**
   * The clip {@code c} in {@code (0, max|W|]} with the smallest quantization error at {@code bits} (1..16) on the grid
   * described above; 0 for all-zero weights.
   */
  public static float mseClip(float[] w, int bits) {
    checkBits(bits);
    float max = maxAbs(w);
    if (max == 0f) {
      return 0f;
    }
    float best = max;
    double bestError = error(w, max, bits);
    for (int k = GRID - 1; k >= 1; k--) {
      float c = (float) ((double) k / GRID * max);
      if (!(c > 0f)) {
        break;
      }
      double e = error(w, c, bits);
      if (e < bestError) {
        bestError = e;
        best = c;
      }
    }
    return best;
  }

  /** Normalized values {@code u = W / clip} (all zero when {@code clip} is 0). */
  public static float[] normalize(float[] w, float clip) {
    float[] u = new float[w.length];
    if (clip > 0f) {
      for (int i = 0; i < w.length; i++) {
        u[i] = w[i] / clip;
      }
    }
    return u;
  }

  private static void checkBits(int bits) {
    if (bits < 1 || bits > 16) {
      throw new IllegalArgumentException("clip calibration bits must be in [1, 16], was " + bits);
    }
  }
}
