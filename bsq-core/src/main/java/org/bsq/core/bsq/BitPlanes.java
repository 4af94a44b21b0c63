package org.bsq.core.bsq;

import java.util.Arrays;

/**
 * The bit representation of one tensor (a layer's weights or its bias): {@code count} values, {@code bits} planes
 * (element-major, MSB first, see {@link BitMath}), a positive and a negative plane array and a scale. Instances are
 * not modified by the operations here: {@link #requantize} and {@link #adjustPrecision} return new instances (they may
 * share unchanged arrays with this one). The arrays returned by {@link #p()} and {@link #n()} are the live ones.
 */
public final class BitPlanes {
  private final int count;
  private final int bits;
  private final float scale;
  private final float[] p;
  private final float[] n;

  /** Wraps plane arrays (not copied) of {@code count * bits} values each. */
  public BitPlanes(int count, int bits, float scale, float[] p, float[] n) {
    if (count < 1) {
      throw new IllegalArgumentException("bit-plane value count must be >= 1, was " + count);
    }
    BitMath.checkBits(bits);
    if (p.length != (long) count * bits || n.length != (long) count * bits) {
      throw new IllegalArgumentException("bit planes of " + count + " values at " + bits + " bits need "
          + (long) count * bits + " floats each, was " + p.length + " and " + n.length);
    }
    this.count = count;
    this.bits = bits;
    this.scale = scale;
    this.p = p;
    this.n = n;
  }

  /** Converts float values to {@code bits} bit planes ({@link BitMath#decompose}); an all-zero tensor gets scale 0. */
  public static BitPlanes fromFloat(float[] values, int bits) {
    return fromFloat(values, bits, 0f);
  }

  /** As {@link #fromFloat(float[], int)}, keeping {@code previousScale} when every value is zero (the reference). */
  public static BitPlanes fromFloat(float[] values, int bits, float previousScale) {
    float[] p = new float[values.length * bits];
    float[] n = new float[values.length * bits];
    float s = BitMath.decompose(values, values.length, bits, p, n, previousScale);
    return new BitPlanes(values.length, bits, s, p, n);
  }

  public int count() { return count; }

  public int bits() { return bits; }

  public float scale() { return scale; }

  /** The live positive planes. */
  public float[] p() { return p; }

  /** The live negative planes. */
  public float[] n() { return n; }

  /** The forward (dequantized) values {@code q * scale}. */
  public float[] reconstruct() {
    float[] w = new float[count];
    BitMath.reconstruct(p, n, count, bits, scale, false, w, null);
    return w;
  }

  /** The unit values {@code q} (before the scale). */
  public float[] unitValues() {
    float[] w = new float[count];
    float[] q = new float[count];
    BitMath.reconstruct(p, n, count, bits, scale, false, w, q);
    return q;
  }

  /** Signed integer levels {@code sum_i (p_i - n_i) * 2^(N-1-i)} (exact for integer planes). */
  public long[] signedLevels() {
    long[] out = new long[count];
    for (int k = 0; k < count; k++) {
      double s = 0;
      for (int i = 0; i < bits; i++) {
        s += ((double) p[k * bits + i] - n[k * bits + i]) * (1L << (bits - 1 - i));
      }
      out[k] = Math.round(s);
    }
    return out;
  }

  /** Per-plane percentage of non-zero {@code p - n} values, MSB first. */
  public double[] nonZeroPercent() { return BitMath.nonZeroPercent(p, n, count, bits); }

  /**
   * The reference's {@code quant(maxbit)}: re-binarizes continuous planes. Levels {@code Rp = rint(max(s,0) * step)},
   * {@code Rn = rint(max(-s,0) * step)} from the unclamped bit sum {@code s}. At {@code bits >= maxBits} levels are
   * clipped to {@code step}; below, if any level exceeds {@code step}, the precision grows by one bit and
   * {@code scale = (scale * (2^(N+1)-1)) / (2^N-1)} (levels kept). The new planes are 0/1 (MSB first).
   */
  public BitPlanes requantize(int maxBits) {
    if (maxBits < 1) {
      throw new IllegalArgumentException("maximum bits must be >= 1, was " + maxBits);
    }
    float[] exps = BitMath.exps(bits);
    float step = BitMath.step(bits);
    float[] rp = new float[count];
    float[] rn = new float[count];
    float max = 0f;
    for (int k = 0; k < count; k++) {
      float s = BitMath.bitSum(p, n, k * bits, bits, exps);
      float pos = s > 0f ? s : 0f;
      float neg = s <= 0f ? -s : 0f;
      rp[k] = (float) Math.rint(pos * step);
      rn[k] = (float) Math.rint(neg * step);
      max = Math.max(max, Math.max(rp[k], rn[k]));
    }
    int newBits = bits;
    float newScale = scale;
    if (bits >= maxBits) {
      for (int k = 0; k < count; k++) {
        rp[k] = rp[k] > step ? step : rp[k];
        rn[k] = rn[k] > step ? step : rn[k];
      }
    } else if (max > step) {
      newBits = bits + 1;
      newScale = (scale * (float) BitMath.step(newBits)) / step;
    }
    float[] np = new float[count * newBits];
    float[] nn = new float[count * newBits];
    for (int k = 0; k < count; k++) {
      BitMath.writeDigits(rp[k], newBits, np, k * newBits);
      BitMath.writeDigits(rn[k], newBits, nn, k * newBits);
    }
    return new BitPlanes(count, newBits, newScale, np, nn);
  }

  /**
   * The reference's precision adjustment ({@code ResNet.pruning(threshold, drop)}) of one tensor. Only tensors with more
   * than one bit change. MSB pass over the planes as they were at the start: a plane whose {@code p - n} non-zero
   * percentage is {@code == 0} is removed (the remaining planes are sliced from the original tensor); one below
   * {@code threshold} is added to every lower plane (clamped to {@code <= 1}) and removed ({@code drop}; for weights
   * with {@code !drop} it is zeroed but kept); the pass stops at the first other plane or at 1 bit. LSB pass:
   * trailing planes with percentage {@code <= threshold} are removed, doubling the scale each time, never below 1 bit.
   * Finally {@code scale = (scale * (2^N-1)) / (2^N0-1)}.
   *
   * @param threshold percentage in [0, 100]; BSQ uses 0
   * @param drop whether a below-threshold MSB plane is removed (weights only; the reference always drops for biases)
   * @param bias whether this is a bias tensor (the reference's bias branch differs in two details: it always drops
   *     and clamps before stopping at 1 bit)
   */
  public BitPlanes adjustPrecision(double threshold, boolean drop, boolean bias) {
    if (!(threshold >= 0 && threshold <= 100)) {
      throw new IllegalArgumentException("pruning threshold must be a percentage in [0, 100], was " + threshold);
    }
    if (bits <= 1) {
      return this;
    }
    final int n0 = bits;
    double[] pct = nonZeroPercent();
    // current tensor: width planes per value (the reference keeps width == nb except in an inconsistent corner case)
    float[] cp = p;
    float[] cn = n;
    int width = bits;
    int nb = bits;
    for (int i = 0; i < n0; i++) {
      if (pct[i] == 0) {
        cp = slice(p, n0, i + 1, n0);
        cn = slice(n, n0, i + 1, n0);
        width = n0 - i - 1;
        nb--;
        if (nb == 1) {
          break;
        }
      } else if (pct[i] < threshold) {
        if (drop || bias) {
          cp = sliceAdd(p, n0, i + 1, n0, i);
          cn = sliceAdd(n, n0, i + 1, n0, i);
          width = n0 - i - 1;
          nb--;
          if (!bias && nb == 1) {
            break; // the weight branch stops before clamping
          }
        } else {
          cp = sliceAdd(p, n0, i, n0, i);
          cn = sliceAdd(n, n0, i, n0, i);
          width = n0 - i;
          zeroPlane(cp, width, 0);
          zeroPlane(cn, width, 0);
        }
        clampAtMostOne(cp);
        clampAtMostOne(cn);
        if (bias && nb == 1) {
          break;
        }
      } else {
        break;
      }
    }
    if (width != nb) {
      throw new IllegalStateException("precision adjustment left " + width + " planes for " + nb + " bits (the"
          + " reference code's drop=false branch followed by an empty plane); use drop=true");
    }
    float s = scale;
    if (nb > 1) {
      double[] pct2 = BitMath.nonZeroPercent(cp, cn, count, nb);
      float[] op = cp;
      float[] on = cn;
      int n2 = nb;
      for (int i = 0; i < n2; i++) {
        if (pct2[n2 - 1 - i] <= threshold) {
          cp = slice(op, n2, 0, n2 - 1 - i);
          cn = slice(on, n2, 0, n2 - 1 - i);
          nb--;
          s = s * 2f;
          if (nb == 1) {
            break;
          }
        } else {
          break;
        }
      }
    }
    s = (s * (float) BitMath.step(nb)) / (float) BitMath.step(n0);
    return new BitPlanes(count, nb, s, cp == p ? p.clone() : cp, cn == n ? n.clone() : cn);
  }

  /** Planes {@code from..to-1} of every value. */
  private float[] slice(float[] src, int srcBits, int from, int to) {
    int w = to - from;
    float[] out = new float[count * w];
    for (int k = 0; k < count; k++) {
      System.arraycopy(src, k * srcBits + from, out, k * w, w);
    }
    return out;
  }

  /** Planes {@code from..to-1} of every value, each plus plane {@code add} of that value. */
  private float[] sliceAdd(float[] src, int srcBits, int from, int to, int add) {
    int w = to - from;
    float[] out = new float[count * w];
    for (int k = 0; k < count; k++) {
      float a = src[k * srcBits + add];
      for (int j = 0; j < w; j++) {
        out[k * w + j] = src[k * srcBits + from + j] + a;
      }
    }
    return out;
  }

  private void zeroPlane(float[] v, int w, int plane) {
    for (int k = 0; k < count; k++) {
      v[k * w + plane] = 0f;
    }
  }

  private static void clampAtMostOne(float[] v) {
    for (int i = 0; i < v.length; i++) {
      v[i] = v[i] < 1f ? v[i] : 1f;
    }
  }

  /** Whether every {@code p - n} value is zero. */
  public boolean allZero() {
    for (int i = 0; i < p.length; i++) {
      if (p[i] - n[i] != 0f) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "BitPlanes[" + count + " values, " + bits + " bits, scale " + scale + ", nonzero% "
        + Arrays.toString(nonZeroPercent()) + "]";
  }
}
