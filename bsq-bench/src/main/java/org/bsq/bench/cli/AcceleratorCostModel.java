package org.bsq.bench.cli;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.SchemeCostModel;
import org.bsq.hwsim.BitPlaneStats;
import org.bsq.hwsim.CostReport;
import org.bsq.hwsim.Simulator;
import org.bsq.hwsim.Workload;
import org.bsq.hwsim.WorkloadLayer;

/**
 * Prices a scheme on an accelerator preset of the hardware simulator (latency and energy per image at batch
 * {@value #BATCH}). Activations that the scheme leaves unquantized (0 bits) are priced at 8 bits, the image input
 * included; full-precision weights (projection shortcuts) at 32 bits, or at 8 bits on an accelerator in BitFusion
 * compatibility mode, which supports no more than 8 (see docs/hardware-model.md).
 */
final class AcceleratorCostModel implements SchemeCostModel {
  static final int BATCH = 16;
  private final String preset;
  private final Simulator simulator;

  AcceleratorCostModel(String preset) {
    this.preset = preset;
    this.simulator = Simulator.of(preset);
  }

  @Override
  public String name() { return preset; }

  /** The simulator workload of a scheme (the bit mapping described on the class). */
  static Workload workload(QuantizationScheme scheme, LayerInventory inventory, int batch, boolean compat) {
    Map<String, Integer> w = new HashMap<>();
    Map<String, Integer> a = new HashMap<>();
    for (LayerInfo l : inventory) {
      LayerPrecision p = scheme.get(l.name());
      w.put(l.name(), p.weights().isFull() ? (compat ? 8 : 32) : p.weightBits());
      int act = p.activationBits();
      a.put(l.name(), act == 0 || p.activations().isFull() || l.index() == 0 ? 8 : act);
    }
    return Workload.fromInventory(inventory, batch, w, a);
  }

  @Override
  public Map<String, Double> price(QuantizationScheme scheme, LayerInventory inventory) {
    return price(scheme, inventory, Map.of());
  }

  /**
   * Prices with the scheme's bit-level sparsity: each listed layer's per-plane non-zero fractions (most significant
   * plane first) become the workload's {@link BitPlaneStats} (least significant first), which the essential-bit
   * {@code pragmatic} preset turns into saved cycles; the other presets ignore them.
   */
  @Override
  public Map<String, Double> price(QuantizationScheme scheme, LayerInventory inventory,
                                   Map<String, java.util.List<Double>> weightPlaneNonZero) {
    Workload w = workload(scheme, inventory, BATCH, simulator.accelerator().bitfusionCompat());
    java.util.List<WorkloadLayer> layers = new java.util.ArrayList<>();
    for (WorkloadLayer l : w.layers()) {
      java.util.List<Double> msbFirst = weightPlaneNonZero.get(l.name());
      if (msbFirst == null) {
        layers.add(l);
      } else {
        java.util.List<Double> lsbFirst = new java.util.ArrayList<>(msbFirst);
        java.util.Collections.reverse(lsbFirst);
        layers.add(l.withBitPlanes(new BitPlaneStats(lsbFirst)));
      }
    }
    CostReport r = simulator.price(new Workload(w.name(), layers));
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("latencyMsPerImage", r.latencyMsPerSample());
    out.put("energyMjPerImage", r.energyMj() / r.batch());
    out.put("computeCycles", (double) r.computeCycles());
    out.put("stallCycles", (double) r.stallCycles());
    out.put("dramEnergyShare", r.energyNj() == 0 ? 0 : r.dramNj() / r.energyNj());
    return out;
  }
}
