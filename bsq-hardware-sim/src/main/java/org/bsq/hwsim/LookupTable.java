package org.bsq.hwsim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HAQ-style per-layer cost tables: for every layer and every (weight bits, activation bits) pair in
 * {@code 1..maxBits}, the layer's total cycles and energy, so that a search prices a mixed-precision scheme by summing
 * entries ({@link #cycles(int[], int[])}, {@link #energyNj(int[], int[])}: no search, no allocation, ~10^7 schemes/s).
 *
 * <p>Exact for BitFusion compatibility mode (outputs always 32 bits). In the default model a layer's stored output
 * bits follow the next layer's input bits; the table fixes each layer's output bits to those of the base workload, so
 * summed entries can differ slightly from a full simulation of a scheme that changes activation bits (the difference
 * is the output-drain traffic only). 0 bits cost nothing.
 */
public final class LookupTable {
  private final String accelerator;
  private final String workload;
  private final List<String> layerNames;
  private final int maxBits;
  private final double frequencyHz;
  private final long[] cycles;
  private final double[] energy;

  private LookupTable(String accelerator, String workload, List<String> layerNames, int maxBits, double frequencyHz,
                      long[] cycles, double[] energy) {
    this.accelerator = accelerator;
    this.workload = workload;
    this.layerNames = List.copyOf(layerNames);
    this.maxBits = maxBits;
    this.frequencyHz = frequencyHz;
    this.cycles = cycles;
    this.energy = energy;
  }

  /** Simulates every layer of {@code base} at every (w, a) in {@code 1..maxBits} (a HAQ table when maxBits = 8). */
  public static LookupTable build(Simulator simulator, Workload base, int maxBits) {
    if (maxBits < 1 || maxBits > WorkloadLayer.MAX_BITS) {
      throw new IllegalArgumentException("maxBits must be in [1, " + WorkloadLayer.MAX_BITS + "], was " + maxBits);
    }
    int layers = base.size();
    long[] c = new long[layers * maxBits * maxBits];
    double[] e = new double[c.length];
    List<String> names = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      WorkloadLayer layer = base.layer(l);
      names.add(layer.name());
      for (int w = 1; w <= maxBits; w++) {
        for (int a = 1; a <= maxBits; a++) {
          LayerResult r = simulator.layer(layer.withBits(w, a, layer.outputBits()));
          int i = index(maxBits, l, w, a);
          c[i] = r.totalCycles();
          e[i] = r.energyNj();
        }
      }
    }
    return new LookupTable(simulator.accelerator().name(), base.name(), names, maxBits,
        simulator.accelerator().frequencyHz(), c, e);
  }

  public int layers() { return layerNames.size(); }

  public int maxBits() { return maxBits; }

  public List<String> layerNames() { return layerNames; }

  private int index(int layer, int w, int a) {
    return index(maxBits, layer, w, a);
  }

  /** Position of entry (layer, w, a), w and a in {@code 1..maxBits}, in the flat {@code [layer][w-1][a-1]} arrays. */
  private static int index(int maxBits, int layer, int w, int a) {
    return (layer * maxBits + (w - 1)) * maxBits + (a - 1);
  }

  /**
   * Checks the bits, then returns the entry's position, or -1 when w or a is 0 (a 0-bit layer costs nothing). The
   * per-scheme sums call it once per layer, so it stays a plain check plus arithmetic.
   */
  private int slot(int layer, int w, int a) {
    check(w, a);
    return w == 0 || a == 0 ? -1 : index(layer, w, a);
  }

  private void check(int w, int a) {
    if (w < 0 || w > maxBits || a < 0 || a > maxBits) {
      throw new IllegalArgumentException("bits must be in [0, " + maxBits + "], was w" + w + "/a" + a);
    }
  }

  /** Total cycles of layer {@code layer} at (w, a). */
  public long cycles(int layer, int w, int a) {
    int i = slot(layer, w, a);
    return i < 0 ? 0 : cycles[i];
  }

  /** Energy in nJ of layer {@code layer} at (w, a). */
  public double energyNj(int layer, int w, int a) {
    int i = slot(layer, w, a);
    return i < 0 ? 0 : energy[i];
  }

  /** Total cycles of a scheme: the sum of its layers' entries. */
  public long cycles(int[] weightBits, int[] activationBits) {
    lengths(weightBits, activationBits);
    long sum = 0;
    for (int l = 0; l < weightBits.length; l++) {
      int i = slot(l, weightBits[l], activationBits[l]);
      if (i >= 0) {
        sum += cycles[i];
      }
    }
    return sum;
  }

  /** Total energy in nJ of a scheme. */
  public double energyNj(int[] weightBits, int[] activationBits) {
    lengths(weightBits, activationBits);
    double sum = 0;
    for (int l = 0; l < weightBits.length; l++) {
      int i = slot(l, weightBits[l], activationBits[l]);
      if (i >= 0) {
        sum += energy[i];
      }
    }
    return sum;
  }

  /** Latency in ms of a scheme. */
  public double latencyMs(int[] weightBits, int[] activationBits) {
    return cycles(weightBits, activationBits) * 1e3 / frequencyHz;
  }

  private void lengths(int[] w, int[] a) {
    if (w.length != layerNames.size() || a.length != layerNames.size()) {
      throw new IllegalArgumentException("bit arrays must have one entry per layer (" + layerNames.size() + "), was "
          + w.length + " and " + a.length);
    }
  }

  /** CSV with one row per (layer, w, a): {@code layer,index,w,a,cycles,latency_ms,energy_nj}. */
  public String toCsv() {
    StringBuilder s = new StringBuilder("layer,index,weight_bits,activation_bits,cycles,latency_ms,energy_nj\n");
    for (int l = 0; l < layers(); l++) {
      for (int w = 1; w <= maxBits; w++) {
        for (int a = 1; a <= maxBits; a++) {
          long c = cycles[index(l, w, a)];
          s.append(layerNames.get(l)).append(',').append(l).append(',').append(w).append(',').append(a).append(',')
              .append(c).append(',').append(c * 1e3 / frequencyHz).append(',').append(energy[index(l, w, a)])
              .append('\n');
        }
      }
    }
    return s.toString();
  }

  /**
   * JSON-ready map: {@code accelerator, workload, maxBits, layers, cycles[L][w-1][a-1], energyNj[L][w-1][a-1]} (the
   * layout of HAQ's {@code latency_table.npy}, indexed {@code [layer][w-1][a-1]}).
   */
  public Map<String, Object> toJsonMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("accelerator", accelerator);
    m.put("workload", workload);
    m.put("maxBits", maxBits);
    m.put("frequencyHz", frequencyHz);
    m.put("layers", layerNames);
    long[][][] c = new long[layers()][maxBits][maxBits];
    double[][][] e = new double[layers()][maxBits][maxBits];
    for (int l = 0; l < layers(); l++) {
      for (int w = 0; w < maxBits; w++) {
        for (int a = 0; a < maxBits; a++) {
          c[l][w][a] = cycles[index(l, w + 1, a + 1)];
          e[l][w][a] = energy[index(l, w + 1, a + 1)];
        }
      }
    }
    m.put("cycles", c);
    m.put("energyNj", e);
    return m;
  }
}
