package org.bsq.core.bsq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The regularizer's layer weights: the paper's memory weighting and hardware-aware BSQ's (decision 0015). */
class RegularizerWeightingTest {
  private static final List<String> LAYERS = List.of("a", "b", "c");

  /** A marginal cost per layer, independent of the bits. */
  private static MarginalBitCost fixed(Map<String, Double> perLayer) {
    return new MarginalBitCost() {
      @Override public double marginal(String layer, int bits) { return perLayer.get(layer); }

      @Override public String describe() { return "test cost"; }
    };
  }

  @Test
  void memoryIsThePapersWeightsTimesBits() {
    double[] w = RegularizerWeighting.memory().multipliers(LAYERS, new long[] {144, 4608, 36864}, new int[] {8, 3, 5});
    assertArrayEquals(new double[] {144.0 * 8, 4608.0 * 3, 36864.0 * 5}, w, 0.0);
    assertEquals("memory", RegularizerWeighting.memory().mode());
  }

  @Test
  void aLayerWithTwiceTheMarginalCostGetsTwiceTheWeight() {
    RegularizerWeighting w = RegularizerWeighting.hardware("latency", fixed(Map.of("a", 1.5, "b", 3.0, "c", 0.25)));
    // very different sizes: the weight follows the cost of a bit, not the number of weights
    double[] m = w.multipliers(LAYERS, new long[] {36864, 144, 4608}, new int[] {4, 4, 4});
    assertEquals(2 * m[0], m[1], 0.0);
    assertEquals(m[0] / 6, m[2], 1e-12 * m[0]);
  }

  @Test
  void weightsAreTheMarginalCostTimesTheBitsRescaledSoThatTheGroupCoefficientsSumAsMemorys() {
    SplittableRandom r = new SplittableRandom(3);
    for (int trial = 0; trial < 20; trial++) {
      long[] counts = {1 + r.nextInt(50_000), 1 + r.nextInt(50_000), 1 + r.nextInt(50_000)};
      int[] bits = {1 + r.nextInt(8), 1 + r.nextInt(8), 1 + r.nextInt(8)};
      Map<String, Double> cost = Map.of("a", r.nextDouble(), "b", r.nextDouble(), "c", 1e-3 + r.nextDouble());
      double[] w = RegularizerWeighting.hardware("energy", fixed(cost)).multipliers(LAYERS, counts, bits);
      double groups = 0;
      double memoryGroups = 0;
      for (int l = 0; l < 3; l++) {
        groups += bits[l] * w[l];
        memoryGroups += (double) bits[l] * counts[l] * bits[l];
      }
      // alpha keeps its meaning: sum over every bit group of its coefficient equals the memory weighting's
      assertEquals(memoryGroups, groups, 1e-12 * memoryGroups);
      // proportional to marginal cost x bits
      for (int l = 1; l < 3; l++) {
        double expected = w[0] / (cost.get("a") * bits[0]) * cost.get(LAYERS.get(l)) * bits[l];
        assertEquals(expected, w[l], 1e-12 * Math.max(1, w[l]));
      }
    }
  }

  @Test
  void theMetricsUnitCancels() {
    long[] counts = {10, 200, 3000};
    int[] bits = {8, 6, 3};
    double[] ms = RegularizerWeighting.hardware("latency", fixed(Map.of("a", 2.0, "b", 5.0, "c", 7.0)))
        .multipliers(LAYERS, counts, bits);
    double[] us = RegularizerWeighting.hardware("latency", fixed(Map.of("a", 2e3, "b", 5e3, "c", 7e3)))
        .multipliers(LAYERS, counts, bits);
    assertArrayEquals(ms, us, 1e-9);
  }

  @Test
  void theMemoryCostOfOneBitGivesTheMemoryWeightsExactly() {
    long[] counts = {144, 4608, 18432};
    int[] bits = {7, 2, 5};
    MarginalBitCost memoryPerBit = fixed(Map.of("a", 144.0, "b", 4608.0, "c", 18432.0));
    assertArrayEquals(RegularizerWeighting.memory().multipliers(LAYERS, counts, bits),
        RegularizerWeighting.hardware("memory-as-cost", memoryPerBit).multipliers(LAYERS, counts, bits), 0.0);
  }

  @Test
  void aLayerWhoseBitsCostNothingIsNotRegularizedAndAllFreeIsAnError() {
    double[] w = RegularizerWeighting.hardware("latency", fixed(Map.of("a", 0.0, "b", 1.0, "c", 2.0)))
        .multipliers(LAYERS, new long[] {5, 5, 5}, new int[] {8, 8, 8});
    assertEquals(0.0, w[0], 0.0);
    assertTrue(w[1] > 0);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> RegularizerWeighting.hardware("latency", fixed(Map.of("a", 0.0, "b", 0.0, "c", 0.0)))
            .multipliers(LAYERS, new long[] {5, 5, 5}, new int[] {8, 4, 2}));
    assertTrue(e.getMessage().contains("is 0 for every layer at bits [8, 4, 2]"), e.getMessage());
    assertTrue(e.getMessage().contains("regularizerWeighting: memory"), e.getMessage());
  }

  @Test
  void badInputsAreNamed() {
    RegularizerWeighting m = RegularizerWeighting.memory();
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> m.multipliers(LAYERS, new long[] {1, 2}, new int[] {1, 2, 3})).getMessage()
        .contains("one entry per layer"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> m.multipliers(LAYERS, new long[] {1, 2, 3}, new int[] {1, 0, 3})).getMessage()
        .contains("bits of layer 'b' must be >= 1, was 0"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> RegularizerWeighting.hardware("memory", fixed(Map.of()))).getMessage().contains("must name a metric"));
    RegularizerWeighting negative = RegularizerWeighting.hardware("latency", fixed(Map.of("a", -1.0, "b", 1.0,
        "c", 1.0)));
    assertTrue(assertThrows(IllegalStateException.class,
        () -> negative.multipliers(LAYERS, new long[] {1, 2, 3}, new int[] {1, 2, 3})).getMessage()
        .contains("layer 'a' at 1 bits must be finite and >= 0, was -1.0"));
  }
}
