package org.bsq.core.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.junit.jupiter.api.Test;

/** The size table, the cost target and cost budgets. */
class CostTargetTest {
  private final LayerInventory inv = LayerInventory.of(TinyNets.residualFloat(1).graph());
  private final CostTarget size = CostTarget.size(List.of(new SizeOnlyCostModel()), inv);

  @Test
  void theSizeTableSumsToTheAverageBitsOfAnyScheme() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    for (int t = 0; t < 50; t++) {
      List<LayerPrecision> layers = new ArrayList<>();
      for (LayerInfo l : inv) {
        layers.add(l.projectionShortcut() ? LayerPrecision.full(l.name())
            : LayerPrecision.of(l.name(), r.nextInt(0, 17), r.nextInt(0, 9)));
      }
      QuantizationScheme s = new QuantizationScheme(layers);
      assertEquals(s.averageBits(inv), size.price(s), 1e-12, s.toString());
    }
    assertEquals("size (bits)", size.describe());
  }

  @Test
  void aBudgetIsARatioOfTheEightBitCostOrAValue() {
    assertEquals(4.0, new CostBudget(0.5, 0).limit(size, inv), 1e-12);
    assertEquals(3.25, new CostBudget(0, 3.25).limit(size, inv), 1e-12);
    List<String> problems = new ArrayList<>();
    new CostBudget(0.5, 3).validate(problems);
    new CostBudget(0, 0).validate(problems);
    assertEquals(2, problems.size(), problems.toString());
  }

  @Test
  void anUnreachableBudgetNamesTheMinimumReachableValue() {
    QuantizationScheme twoBits = QuantizationScheme.uniform(inv, 2, 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CostBudget(0.2, 0).checkedLimit(size, inv, twoBits, "every layer at 2-bit weights"));
    assertTrue(e.getMessage().contains("minimum reachable size (bits) is 2 bits"), e.getMessage());
    assertTrue(e.getMessage().contains("ratio 0.2 of the w8/a8 cost = 1.6 bits"), e.getMessage());
    assertEquals(2.0, new CostBudget(0.25, 0).checkedLimit(size, inv, twoBits, "x"), 1e-12, "exactly reachable");
  }

  @Test
  void anUnknownObjectiveModelListsTheRunsModels() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CostTarget(List.of(new SizeOnlyCostModel()), "bitfusion-e", CostMetric.LATENCY, inv));
    assertTrue(e.getMessage().contains("[size]"), e.getMessage());
    IllegalArgumentException m = assertThrows(IllegalArgumentException.class,
        () -> new CostTarget(List.of(new SizeOnlyCostModel()), "size", CostMetric.ENERGY, inv));
    assertTrue(m.getMessage().contains("must price energy"), m.getMessage());
    IllegalArgumentException u = assertThrows(IllegalArgumentException.class, () -> CostMetric.of("speed"));
    assertTrue(u.getMessage().contains("[size, latency, energy]"), u.getMessage());
  }

  @Test
  void aScaledBudgetKeepsTheSearchsShape() {
    assertEquals(new Budget(3.5, 3, 5), new Budget(350, 300, 500).scaled(0.01));
    assertEquals(new Budget(3, 1, 0), new Budget(300, 10, 0).scaled(0.01), "at least one evaluation");
    assertEquals(new Budget(350, 0, 0), new Budget(350, 0, 0).scaled(1));
  }
}
