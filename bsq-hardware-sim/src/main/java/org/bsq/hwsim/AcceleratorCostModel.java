package org.bsq.hwsim;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.LayerCostTable;
import org.bsq.core.strategy.SchemeCostModel;

/**
 * Prices a scheme on an accelerator preset of the hardware simulator (latency and energy per image at batch
 * {@value #BATCH}). Activations that the scheme leaves unquantized (0 bits) are priced at 8 bits, the image input
 * included; full-precision weights (projection shortcuts) at 32 bits, or at 8 bits on an accelerator in BitFusion
 * compatibility mode, which supports no more than 8 (see docs/hardware-model.md).
 *
 * <p>Searches price candidates with {@link #table}: per layer and (weight, activation) bits, the simulated latency or
 * energy of that layer alone, computed on first use and memoized (HAQ's lookup tables, {@link LookupTable}). The
 * table fixes each layer's output bits to those of the all-8-bit model, so its sums can differ slightly from
 * {@link #price} when activation bits change (the output-drain traffic only); the harness prices the final scheme with
 * {@link #price}.
 */
public final class AcceleratorCostModel implements SchemeCostModel {
  /** Batch size of the simulated workload (latency and energy are reported per image). */
  public static final int BATCH = 16;
  private final String preset;
  private final Simulator simulator;

  /** The model of a preset of {@link Presets}; an unknown name fails listing the known ones. */
  public AcceleratorCostModel(String preset) {
    this.preset = preset;
    this.simulator = Simulator.of(preset);
  }

  /** The preset's simulator. */
  public Simulator simulator() { return simulator; }

  @Override
  public String name() { return preset; }

  /** The simulator workload of a scheme (the bit mapping described on the class). */
  public static Workload workload(QuantizationScheme scheme, LayerInventory inventory, int batch, boolean compat) {
    Map<String, Integer> w = new HashMap<>();
    Map<String, Integer> a = new HashMap<>();
    for (LayerInfo l : inventory) {
      LayerPrecision p = scheme.get(l.name());
      w.put(l.name(), weightBits(p.weightBits(), compat));
      a.put(l.name(), activationBits(l, p.activationBits()));
    }
    return Workload.fromInventory(inventory, batch, w, a);
  }

  /** Simulated weight bits of a scheme's weight bits: full precision at 32, or 8 in BitFusion compatibility mode. */
  static int weightBits(int bits, boolean compat) {
    return bits == org.bsq.core.quant.Precision.FULL_BITS ? (compat ? 8 : 32) : bits;
  }

  /** Simulated input bits: 8 for the image input and for activations the scheme leaves unquantized (0 or 32). */
  static int activationBits(LayerInfo l, int bits) {
    return bits == 0 || bits == org.bsq.core.quant.Precision.FULL_BITS || l.index() == 0 ? 8 : bits;
  }

  /** Latency and energy tables for searches (see the class comment); size is the size model's. */
  @Override
  public java.util.Optional<LayerCostTable> table(LayerInventory inventory, CostMetric metric) {
    if (metric == CostMetric.SIZE) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(new Table(inventory, metric));
  }

  /** Memoized per-layer simulation of one metric. */
  private final class Table implements LayerCostTable {
    private static final int SPAN = org.bsq.core.quant.Precision.FULL_BITS + 1;
    private final CostMetric metric;
    private final LayerInventory inventory;
    private final java.util.List<String> names;
    private final java.util.List<WorkloadLayer> base;
    private final double[] memo;

    Table(LayerInventory inventory, CostMetric metric) {
      this.metric = metric;
      this.inventory = inventory;
      this.names = inventory.layers().stream().map(LayerInfo::name).toList();
      this.base = workload(QuantizationScheme.uniform(inventory, 8, 8), inventory, BATCH,
          simulator.accelerator().bitfusionCompat()).layers();
      this.memo = new double[names.size() * SPAN * SPAN];
      java.util.Arrays.fill(memo, Double.NaN);
    }

    @Override public CostMetric metric() { return metric; }

    @Override public java.util.List<String> layers() { return names; }

    @Override
    public double cost(int layer, int weightBits, int activationBits) {
      if (weightBits == 0) {
        return 0; // a pruned layer computes nothing
      }
      if (weightBits < 0 || weightBits >= SPAN || activationBits < 0 || activationBits >= SPAN) {
        org.bsq.core.quant.Precision.of(weightBits, "weight bits of layer " + layer);
        org.bsq.core.quant.Precision.of(activationBits, "activation bits of layer " + layer);
      }
      int i = (layer * SPAN + weightBits) * SPAN + activationBits;
      double v = memo[i];
      if (Double.isNaN(v)) {
        // checked once per entry: bits in 17..31 stay unmemoized, so they fail here on every call
        org.bsq.core.quant.Precision.of(weightBits, "weight bits of layer " + layer);
        org.bsq.core.quant.Precision.of(activationBits, "activation bits of layer " + layer);
        LayerInfo info = inventory.get(layer);
        WorkloadLayer b = base.get(layer);
        LayerResult r = simulator.layer(b.withBits(weightBits(weightBits, simulator.accelerator().bitfusionCompat()),
            activationBits(info, activationBits), b.outputBits()));
        v = metric == CostMetric.LATENCY ? r.latencyMs() / BATCH : r.energyNj() * 1e-6 / BATCH;
        memo[i] = v;
      }
      return v;
    }
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
