package org.bsq.hwsim;

import java.util.List;

/**
 * Bit-level sparsity of one layer's quantized weights, as BSQ's bit-plane representation exposes it: for every
 * magnitude bit plane (least significant first) the fraction of weights whose bit is 1. Only the {@code pragmatic}
 * preset uses it (serial processing of the non-zero bits only).
 *
 * @param weightPlaneNonZero per plane, the fraction of weights with that bit set, each in [0, 1]
 */
public record BitPlaneStats(List<Double> weightPlaneNonZero) {
  public BitPlaneStats {
    if (weightPlaneNonZero == null) {
      throw new IllegalArgumentException("weightPlaneNonZero must be given, was null");
    }
    weightPlaneNonZero = List.copyOf(weightPlaneNonZero);
    for (double p : weightPlaneNonZero) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("bit-plane non-zero fraction must be in [0, 1], was " + p);
      }
    }
  }

  /**
   * Expected number of serial steps of a group of {@code lanes} weights processed in lock step: the expectation of
   * the maximum, over the lanes, of each weight's number of one bits. Planes are taken as independent, so a weight's
   * popcount is Poisson-binomial; {@code E[max] = sum_k (1 - F(k)^lanes)} for {@code k = 0 .. planes-1}.
   *
   * @param planes number of planes the layer actually has (its weight bits); missing statistics count as dense
   * @param lanes lanes that advance together (Pragmatic synchronizes 16)
   */
  public double expectedGroupSteps(int planes, int lanes) {
    if (lanes < 1) {
      throw new IllegalArgumentException("lanes must be >= 1, was " + lanes);
    }
    if (planes <= 0) {
      return 0;
    }
    double[] pmf = new double[planes + 1];
    pmf[0] = 1;
    for (int j = 0; j < planes; j++) {
      double p = j < weightPlaneNonZero.size() ? weightPlaneNonZero.get(j) : 1.0;
      for (int k = j + 1; k >= 1; k--) {
        pmf[k] = pmf[k] * (1 - p) + pmf[k - 1] * p;
      }
      pmf[0] *= 1 - p;
    }
    double expected = 0;
    double cdf = 0;
    for (int k = 0; k < planes; k++) {
      cdf += pmf[k];
      expected += 1 - Math.pow(Math.min(1.0, cdf), lanes);
    }
    return expected;
  }
}
