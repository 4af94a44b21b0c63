package org.bsq.hwsim;

import java.util.List;

/**
 * Cost of a whole workload on one accelerator: the per-layer results and their totals. Energies in nJ, latency in
 * ms for the whole batch.
 *
 * @param accelerator accelerator name
 * @param bitfusionCompat whether BitFusion's compatibility mode was on
 * @param workload workload name
 * @param batch batch size of the first layer
 * @param layers per-layer results in order
 * @param totalCycles sum of the layers' total cycles (layers run one after another)
 * @param computeCycles sum of compute cycles
 * @param stallCycles sum of stall cycles
 * @param latencyMs total latency for the batch
 * @param coreNj PE-array energy
 * @param wbufNj weight-buffer energy
 * @param ibufNj input-buffer energy
 * @param obufNj output-buffer energy
 * @param dramNj DRAM energy
 * @param energyNj total energy
 */
public record CostReport(String accelerator, boolean bitfusionCompat, String workload, int batch,
                         List<LayerResult> layers, long totalCycles, long computeCycles, long stallCycles,
                         double latencyMs, double coreNj, double wbufNj, double ibufNj, double obufNj, double dramNj,
                         double energyNj) {
  public CostReport {
    layers = List.copyOf(layers);
  }

  /** Sums per-layer results (energy summed in layer order). */
  public static CostReport of(Accelerator acc, Workload workload, List<LayerResult> layers) {
    long total = 0;
    long compute = 0;
    long stall = 0;
    double core = 0;
    double w = 0;
    double i = 0;
    double o = 0;
    double d = 0;
    double e = 0;
    for (LayerResult r : layers) {
      total += r.totalCycles();
      compute += r.computeCycles();
      stall += r.stallCycles();
      core += r.coreNj();
      w += r.wbufNj();
      i += r.ibufNj();
      o += r.obufNj();
      d += r.dramNj();
      e += r.energyNj();
    }
    return new CostReport(acc.name(), acc.bitfusionCompat(), workload.name(), workload.layer(0).batch(), layers,
        total, compute, stall, acc.millis(total), core, w, i, o, d, e);
  }

  /** Latency per sample in ms. */
  public double latencyMsPerSample() {
    return latencyMs / batch;
  }

  /** Energy in mJ for the batch. */
  public double energyMj() {
    return energyNj * 1e-6;
  }
}
