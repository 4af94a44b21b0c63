package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.hwsim.AcceleratorCostModel;
import org.bsq.models.ModelOptions;
import org.bsq.models.Models;
import org.junit.jupiter.api.Test;

/** Harness pricing on accelerator presets, with and without BSQ's bit-plane statistics. */
class AcceleratorCostModelTest {
  @Test
  void bitLevelSparsitySavesCyclesOnPragmaticOnly() {
    LayerInventory inv = Models.inventory("resnet20", ModelOptions.cifar10());
    QuantizationScheme scheme = QuantizationScheme.uniform(inv, 8, 4);
    Map<String, List<Double>> sparse = new HashMap<>();
    for (LayerInfo l : inv) {
      if (!l.projectionShortcut()) {
        // MSB planes nearly empty, as BSQ leaves them: 1 %, then 10 %, then 40 % for the rest
        sparse.put(l.name(), List.of(0.01, 0.10, 0.40, 0.40, 0.40, 0.40, 0.40, 0.40));
      }
    }
    AcceleratorCostModel pragmatic = new AcceleratorCostModel("pragmatic");
    double dense = pragmatic.price(scheme, inv).get("latencyMsPerImage");
    double withStats = pragmatic.price(scheme, inv, sparse).get("latencyMsPerImage");
    assertTrue(withStats < dense, "essential-bit serial processing skips zero bits: " + withStats + " vs " + dense);
    Map<String, List<Double>> full = new HashMap<>();
    sparse.keySet().forEach(k -> full.put(k, Collections.nCopies(8, 1.0)));
    assertEquals(dense, pragmatic.price(scheme, inv, full).get("latencyMsPerImage"), dense * 1e-9,
        "all-ones planes cost as much as no statistics");

    AcceleratorCostModel stripes = new AcceleratorCostModel("stripes");
    assertEquals(stripes.price(scheme, inv), stripes.price(scheme, inv, sparse), "stripes ignores weight sparsity");
  }

  /** Random mixed-precision schemes of ResNet-20 (weights 2..8, activations 2..8, shortcuts at full precision). */
  private static List<QuantizationScheme> randomSchemes(LayerInventory inv, int count, long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    List<QuantizationScheme> out = new java.util.ArrayList<>();
    for (int t = 0; t < count; t++) {
      List<org.bsq.core.quant.LayerPrecision> layers = new java.util.ArrayList<>();
      for (LayerInfo l : inv) {
        layers.add(l.projectionShortcut() ? org.bsq.core.quant.LayerPrecision.full(l.name())
            : org.bsq.core.quant.LayerPrecision.of(l.name(), r.nextInt(2, 9), r.nextInt(2, 9)));
      }
      out.add(new QuantizationScheme(layers));
    }
    return out;
  }

  @Test
  void lookupTablesPriceLikeTheFullSimulationExactlyInBitFusionCompatibilityMode() {
    LayerInventory inv = Models.inventory("resnet20", ModelOptions.cifar10());
    AcceleratorCostModel bfe = new AcceleratorCostModel("bitfusion-e");
    org.bsq.core.search.LayerCostTable latency = bfe.table(inv, org.bsq.core.search.CostMetric.LATENCY).orElseThrow();
    org.bsq.core.search.LayerCostTable energy = bfe.table(inv, org.bsq.core.search.CostMetric.ENERGY).orElseThrow();
    for (QuantizationScheme s : randomSchemes(inv, 20, 1)) {
      Map<String, Double> full = bfe.price(s, inv);
      double l = full.get("latencyMsPerImage");
      double e = full.get("energyMjPerImage");
      assertEquals(l, latency.total(s, inv), l * 1e-12, "latency of " + s);
      assertEquals(e, energy.total(s, inv), e * 1e-12, "energy of " + s);
    }
    assertTrue(bfe.table(inv, org.bsq.core.search.CostMetric.SIZE).isEmpty(), "size is the size model's");
  }

  @Test
  void lookupTablesStayCloseToTheFullSimulationWhereOutputBitsFollowTheNextLayer() {
    LayerInventory inv = Models.inventory("resnet20", ModelOptions.cifar10());
    AcceleratorCostModel stripes = new AcceleratorCostModel("stripes");
    org.bsq.core.search.LayerCostTable latency = stripes.table(inv, org.bsq.core.search.CostMetric.LATENCY)
        .orElseThrow();
    for (QuantizationScheme s : randomSchemes(inv, 20, 2)) {
      double l = stripes.price(s, inv).get("latencyMsPerImage");
      assertEquals(l, latency.total(s, inv), l * 0.05, "within 5 % (the output-drain traffic only): " + s);
    }
    QuantizationScheme w8a8 = QuantizationScheme.uniform(inv, 8, 8);
    double l8 = stripes.price(w8a8, inv).get("latencyMsPerImage");
    assertEquals(l8, latency.total(w8a8, inv), l8 * 1e-12, "exact at the table's base precision");
  }
}
