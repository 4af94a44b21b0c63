package org.bsq.core.bsq;

import java.util.Arrays;

/**
 * The numerical kernels of BSQ's bit representation, in plain Java over heap {@code float[]} arrays, with the exact
 * float32 semantics of the reference code ({@code yanghr/BSQ models/cifar/bit.py}; docs/algorithm.md section 3, checked
 * against the authors' golden vectors copied into the test resources, see their PROVENANCE.md).
 *
 * <p><b>Layout.</b> A tensor of {@code count} values at {@code bits} bits is stored as two plane arrays {@code p}
 * (positive part) and {@code n} (negative part) of {@code count * bits} floats, <em>element-major</em>: the planes of
 * value {@code k} are {@code p[k * bits + i]}, {@code i = 0..bits-1}, most significant bit first. This is exactly the
 * reference's row-major {@code [..., N]} layout (planes in a new last dimension), so conv planes are
 * {@code [O, I, kh, kw, N]}, linear planes {@code [out, in, N]} and bias planes {@code [out, N]}. Plane {@code i} has
 * weight {@code exps[i] = float32(2^(N-1-i) / (2^N - 1))}.
 *
 * <p><b>Rounding</b> is half-to-even ({@link Math#rint}) everywhere; every operation is rounded to float32 separately,
 * in the reference's order. Bit sums over the planes are sequential, MSB first (what the reference's CPU build does for
 * {@code N <= 4} and {@code N = 8}; for {@code N = 5..7} PyTorch's vectorized sum may differ by one ulp before
 * rounding, which cannot change the result for 0/1 planes). Reductions over many values (the regularizer's plane
 * norms, the scale gradient) are accumulated in double and rounded once, which agrees with PyTorch to about 1e-7
 * relative.
 */
public final class BitMath {
  /** The constant the reference adds inside the group norm's square root, as float32. */
  public static final float NORM_EPSILON = 1e-8f;

  private BitMath() {}

  /** {@code 2^bits - 1}, the largest level. */
  public static int step(int bits) {
    checkBits(bits);
    return (1 << bits) - 1;
  }

  /** Plane weights {@code float32(2^(N-1-i) / (2^N - 1))}, MSB first (computed in double, then rounded). */
  public static float[] exps(int bits) {
    checkBits(bits);
    float[] e = new float[bits];
    double denom = Math.pow(2, bits) - 1;
    for (int i = 0; i < bits; i++) {
      e[i] = (float) (Math.pow(2, bits - 1 - i) / denom);
    }
    return e;
  }

  static void checkBits(int bits) {
    if (bits < 1 || bits > 30) {
      throw new IllegalArgumentException("number of bit planes must be in [1, 30], was " + bits);
    }
  }

  /** {@code max |w|} over the first {@code count} values (float32). */
  public static float maxAbs(float[] w, int count) {
    float s = 0f;
    for (int k = 0; k < count; k++) {
      float a = Math.abs(w[k]);
      if (a > s) {
        s = a;
      }
    }
    return s;
  }

  /**
   * The reference's {@code ini2bit}: {@code S = max|w|}, levels {@code rint((|w| * (2^N-1)) / S)} (float32, in that
   * order), written as MSB-first binary digits; {@code w > 0} goes to {@code p}, {@code w <= 0} to {@code n}.
   *
   * @return the scale: {@code S}, or {@code previousScale} when {@code S == 0} (then both planes are zero: the reference
   *     leaves the scale unassigned)
   */
  public static float decompose(float[] w, int count, int bits, float[] p, float[] n, float previousScale) {
    float s = maxAbs(w, count);
    if (s == 0f) {
      Arrays.fill(p, 0, count * bits, 0f);
      Arrays.fill(n, 0, count * bits, 0f);
      return previousScale;
    }
    float step = step(bits);
    for (int k = 0; k < count; k++) {
      float v = w[k];
      float pos = v > 0f ? v : 0f;
      float neg = v <= 0f ? -v : 0f;
      writeDigits((float) Math.rint((pos * step) / s), bits, p, k * bits);
      writeDigits((float) Math.rint((neg * step) / s), bits, n, k * bits);
    }
    return s;
  }

  /**
   * Writes {@code level} as {@code bits} MSB-first digits: {@code d_i = floor(R / 2^(N-1-i))}, {@code R -= d_i * 2^(N-1-i)}
   * (a level above {@code 2^N - 1} leaves a digit above 1 in the MSB plane, as in the reference).
   */
  static void writeDigits(float level, int bits, float[] dst, int offset) {
    float r = level;
    for (int i = 0; i < bits; i++) {
      float ex = (float) (1 << (bits - 1 - i));
      float d = (float) Math.floor(r / ex);
      dst[offset + i] = d;
      r = r - d * ex;
    }
  }

  /** The bit sum {@code sum_i (p_i - n_i) * exps[i]} of value {@code k}, sequential MSB first, in float32. */
  static float bitSum(float[] p, float[] n, int base, int bits, float[] exps) {
    float s = (p[base] - n[base]) * exps[0];
    for (int i = 1; i < bits; i++) {
      s += (p[base + i] - n[base + i]) * exps[i];
    }
    return s;
  }

  /**
   * Forward reconstruction ({@code bit_STE}): {@code c = clamp(sum, -1, 1)}, {@code q = rint(|c| * step) / step * sign(c)},
   * {@code w = q * scale}. With {@code zero} (a pruned layer) {@code q = sum * 0}.
   *
   * @param q receives the unit weights {@code q} (needed for the scale gradient); may be null
   */
  public static void reconstruct(float[] p, float[] n, int count, int bits, float scale, boolean zero, float[] w,
                                 float[] q) {
    float[] exps = exps(bits);
    float step = step(bits);
    for (int k = 0; k < count; k++) {
      float s = bitSum(p, n, k * bits, bits, exps);
      float qq;
      if (zero) {
        qq = s * 0f;
      } else {
        float c = s > 1f ? 1f : s;
        c = c < -1f ? -1f : c;
        float r = (float) Math.rint(Math.abs(c) * step);
        float sign = c > 0f ? 1f : (c < 0f ? -1f : 0f);
        qq = (r / step) * sign;
      }
      if (q != null) {
        q[k] = qq;
      }
      w[k] = qq * scale;
    }
  }

  /**
   * Straight-through backward of {@link #reconstruct}: adds {@code (g * scale) * exps[i]} to {@code gp} and subtracts it
   * from {@code gn} (no clamp mask, no rounding derivative) and returns the scale gradient {@code sum(g * q)}.
   */
  public static float backward(float[] g, float[] q, int count, int bits, float scale, float[] gp, float[] gn) {
    float[] exps = exps(bits);
    double gs = 0;
    for (int k = 0; k < count; k++) {
      float gk = g[k];
      float gScaled = gk * scale;
      int base = k * bits;
      for (int i = 0; i < bits; i++) {
        float v = gScaled * exps[i];
        gp[base + i] += v;
        gn[base + i] -= v;
      }
      gs += gk * q[k];
    }
    return (float) gs;
  }

  /**
   * Group norms of the bit positions: {@code norms[i] = sqrt(1e-8 + sum_k (p[k,i]^2 + n[k,i]^2))} (float32 result;
   * the sum is accumulated in double).
   */
  public static void planeNorms(float[] p, float[] n, int count, int bits, float[] norms) {
    double[] acc = new double[bits];
    for (int k = 0; k < count; k++) {
      int base = k * bits;
      for (int i = 0; i < bits; i++) {
        float a = p[base + i];
        float b = n[base + i];
        acc[i] += (double) a * a + (double) b * b;
      }
    }
    for (int i = 0; i < bits; i++) {
      norms[i] = (float) Math.sqrt(NORM_EPSILON + (float) acc[i]);
    }
  }

  /**
   * One group-Lasso term of the reference's {@code L1reg}: {@code multiplier * sum_i norm_i} (float32), and, when
   * {@code coefficient != 0}, adds {@code coefficient * multiplier * p / norm_i} to {@code gp} (and likewise for
   * {@code n}) - the gradient of {@code coefficient} times the term.
   *
   * @param norms receives the plane norms (length {@code bits}); may be null
   */
  public static float groupLasso(float[] p, float[] n, int count, int bits, double multiplier, double coefficient,
                                 float[] gp, float[] gn, float[] norms) {
    float[] nm = norms != null ? norms : new float[bits];
    planeNorms(p, n, count, bits, nm);
    float sum = 0f;
    for (int i = 0; i < bits; i++) {
      sum += nm[i];
    }
    if (coefficient != 0 && gp != null) {
      double[] c = new double[bits];
      for (int i = 0; i < bits; i++) {
        c[i] = coefficient * multiplier / nm[i];
      }
      for (int k = 0; k < count; k++) {
        int base = k * bits;
        for (int i = 0; i < bits; i++) {
          gp[base + i] += (float) (c[i] * p[base + i]);
          gn[base + i] += (float) (c[i] * n[base + i]);
        }
      }
    }
    return (float) multiplier * sum;
  }

  /**
   * Clamps every value to {@code [lo, hi]} (NaN stays NaN). With {@code lo == 0} a {@code -0.0} becomes {@code +0.0}
   * (the reference keeps {@code -0.0}; the sign of a zero plane value changes no result of BSQ). Written with
   * {@link Math#max}/{@link Math#min}, which the JIT vectorizes (about 3x faster than the branches).
   */
  public static void clamp(float[] v, float lo, float hi) {
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.min(Math.max(v[i], lo), hi);
    }
  }

  /**
   * Percentage of non-zero values of each plane of {@code p - n} (float32 difference), as the reference's
   * {@code print_stat} and {@code pruning} compute it: {@code count_nonzero * 100 / count}.
   */
  public static double[] nonZeroPercent(float[] p, float[] n, int count, int bits) {
    long[] nz = new long[bits];
    for (int k = 0; k < count; k++) {
      int base = k * bits;
      for (int i = 0; i < bits; i++) {
        if (p[base + i] - n[base + i] != 0f) {
          nz[i]++;
        }
      }
    }
    double[] out = new double[bits];
    for (int i = 0; i < bits; i++) {
      out[i] = (double) (nz[i] * 100) / count;
    }
    return out;
  }
}
