package org.bsq.bench.cli;

import org.bsq.hwsim.AcceleratorCostModel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.QuantizationScheme;
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
}
