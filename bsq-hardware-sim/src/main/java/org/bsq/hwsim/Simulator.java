package org.bsq.hwsim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link CostModel} of one accelerator: runs the tiling search for each layer, caching results per layer shape
 * and bits (a search costs about a millisecond; a network repeats shapes). Thread-safe.
 */
public final class Simulator implements CostModel {
  private final Accelerator accelerator;
  private final Map<WorkloadLayer, LayerResult> cache = new ConcurrentHashMap<>();

  public Simulator(Accelerator accelerator) {
    if (accelerator == null) {
      throw new IllegalArgumentException("accelerator must be given, was null");
    }
    this.accelerator = accelerator;
  }

  /** The simulator of a named preset (unknown names list the known ones). */
  public static Simulator of(String preset) {
    return new Simulator(Presets.get(preset));
  }

  public Accelerator accelerator() { return accelerator; }

  /** Cost of one layer (cached). */
  public LayerResult layer(WorkloadLayer layer) {
    WorkloadLayer key = new WorkloadLayer("layer", layer.kind(), layer.batch(), layer.inChannels(),
        layer.outChannels(), layer.inHeight(), layer.inWidth(), layer.outHeight(), layer.outWidth(), layer.kernel(),
        layer.stride(), layer.groups(), layer.weightBits(), layer.inputBits(), layer.outputBits(), layer.firstLayer(),
        layer.bitPlanes());
    LayerResult r = cache.get(key);
    if (r == null) {
      r = TilingEngine.simulate(accelerator, key);
      cache.putIfAbsent(key, r);
    }
    return r.name().equals(layer.name()) ? r : rename(r, layer.name());
  }

  /** Cost of one layer without the cache (benchmarks). */
  public LayerResult simulateUncached(WorkloadLayer layer) {
    return TilingEngine.simulate(accelerator, layer);
  }

  @Override
  public CostReport price(Workload workload) {
    List<LayerResult> out = new ArrayList<>(workload.size());
    for (WorkloadLayer l : workload.layers()) {
      out.add(layer(l));
    }
    return CostReport.of(accelerator, workload, out);
  }

  /** Prices without the cache (every layer searched again). */
  public CostReport priceUncached(Workload workload) {
    List<LayerResult> out = new ArrayList<>(workload.size());
    for (WorkloadLayer l : workload.layers()) {
      out.add(TilingEngine.simulate(accelerator, l));
    }
    return CostReport.of(accelerator, workload, out);
  }

  private static LayerResult rename(LayerResult r, String name) {
    return new LayerResult(name, r.weightBits(), r.inputBits(), r.macs(), r.computeCycles(), r.stallCycles(),
        r.totalCycles(), r.latencyMs(), r.wbufReadBits(), r.wbufWriteBits(), r.ibufReadBits(), r.ibufWriteBits(),
        r.obufReadBits(), r.obufWriteBits(), r.dramReadBits(), r.dramWriteBits(), r.coreNj(), r.wbufNj(), r.ibufNj(),
        r.obufNj(), r.dramNj(), r.energyNj(), r.memoryBound(), r.operationalIntensity(), r.utilization(), r.tiling());
  }
}
