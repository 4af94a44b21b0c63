package org.bsq.core.bsq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.LayerCostTable;
import org.junit.jupiter.api.Test;

/** The marginal cost of one bit from a per-layer lookup table ({@link MarginalBitCost#of}). */
class MarginalBitCostTest {
  /** One layer "l" whose cost at b weight bits is {@code cost(b)}; the activation bits must be 4. */
  private static LayerCostTable table(IntToDoubleFunction cost) {
    return new LayerCostTable() {
      @Override public CostMetric metric() { return CostMetric.LATENCY; }

      @Override public List<String> layers() { return List.of("l"); }

      @Override
      public double cost(int layer, int weightBits, int activationBits) {
        assertEquals(4, activationBits);
        return cost.applyAsDouble(weightBits);
      }
    };
  }

  private static MarginalBitCost of(IntToDoubleFunction cost) {
    return MarginalBitCost.of(table(cost), "test-array", 4, 8);
  }

  @Test
  void bitSerialCostsGiveTheBackwardDifferenceAndTheForwardOneAtOneBit() {
    // a fixed cost of 100 (reading the input, draining the output) and 3 per bit
    MarginalBitCost m = of(b -> 100 + 3.0 * b);
    for (int b = 1; b <= 8; b++) {
      assertEquals(3.0, m.marginal("l", b), 1e-12, "bits " + b);   // never the whole layer (0 bits) at 1 bit
    }
    assertEquals("latency on test-array (ms)", m.describe());
  }

  @Test
  void stepCostsGiveTheLargestSavingPerBitThatDroppingBitsCanBuy() {
    // BitFusion-like 2-bit bricks: 1-2 bits cost 1, 3-4 cost 2, 5-8 cost 4
    MarginalBitCost m = of(b -> b <= 2 ? 1 : b <= 4 ? 2 : 4);
    assertEquals(0.5, m.marginal("l", 8), 0.0);   // (4 - 2) / (8 - 4)
    assertEquals(2.0 / 3, m.marginal("l", 7), 1e-15);
    assertEquals(2.0, m.marginal("l", 5), 0.0);   // one bit from the cheaper brick
    assertEquals(0.5, m.marginal("l", 4), 0.0);   // (2 - 1) / (4 - 2)
    assertEquals(1.0, m.marginal("l", 3), 0.0);
    assertEquals(1.0, m.marginal("l", 2), 0.0);   // nothing cheaper above 0 bits: (c(3) - c(2)) / 1
    assertEquals(0.5, m.marginal("l", 1), 0.0);   // (c(3) - c(1)) / 2
  }

  @Test
  void almostFlatBricksAreSeenThroughTheWeightTrafficThatShrinksWithEachBit() {
    // BitFusion compatibility mode on conv3 of the small CNN (latency us per batch at 8-bit activations): inside a
    // brick only the weight traffic shrinks; the backward difference at 8 bits would be 0.2, the brick saves 14.7
    double[] c = {0, 43.3, 43.5, 43.6, 43.8, 57.9, 58.1, 58.3, 58.5};
    MarginalBitCost m = of(b -> c[b]);
    assertEquals((58.5 - 43.8) / 4, m.marginal("l", 8), 1e-12);
    assertEquals(57.9 - 43.8, m.marginal("l", 5), 1e-12);
    assertEquals(43.8 - 43.6, m.marginal("l", 4), 1e-12);   // within the lowest bricks: the traffic of one bit
  }

  @Test
  void aCostThatRisesWhenBitsFallStillFindsTheSaving() {
    // BitFusion compatibility mode can price 8 bits below 7 (docs/hardware-model.md 2.3)
    double[] c = {0, 1, 1, 2, 2, 4, 4.1, 4.2, 4.05};
    MarginalBitCost m = of(b -> c[b]);
    assertEquals((4.05 - 2) / 4, m.marginal("l", 8), 1e-12);   // the steepest secant: down to 4 bits
    assertEquals((4.2 - 2) / 3, m.marginal("l", 7), 1e-12);
  }

  @Test
  void aCostThatIgnoresWeightBitsHasMarginalZero() {
    MarginalBitCost m = of(b -> 42);
    for (int b = 1; b <= 8; b++) {
      assertEquals(0.0, m.marginal("l", b), 0.0);
    }
  }

  @Test
  void badLayersBitsAndEntriesAreNamed() {
    MarginalBitCost m = of(b -> b);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> m.marginal("x", 3)).getMessage()
        .contains("layer must be one of the cost table's [l], was 'x'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> m.marginal("l", 9)).getMessage()
        .contains("must be in [1, 8] for a marginal cost, was 9"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> m.marginal("l", 0)).getMessage()
        .contains("was 0"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> MarginalBitCost.of(table(b -> b), "t", 4, 17))
        .getMessage().contains("must be in [1, 16], was 17"));
    MarginalBitCost nan = of(b -> b == 3 ? Double.NaN : b);
    assertTrue(assertThrows(IllegalStateException.class, () -> nan.marginal("l", 4)).getMessage()
        .contains("at 3 weight bits must be finite and >= 0, was NaN"));
  }
}
