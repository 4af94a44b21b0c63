package org.bsq.hwsim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** HAQ-style tables: summed entries price schemes exactly in compatibility mode. */
class LookupTableTest {
  @Test
  void summedEntriesEqualTheSimulationInCompatibilityMode() {
    Simulator sim = Simulator.of("bitfusion-e");
    Workload base = Workloads.bitfusionBenchmarks().get("LeNet-5");
    LookupTable t = LookupTable.build(sim, base, 8);
    assertEquals(4, t.layers());
    Random r = new Random(7);
    for (int trial = 0; trial < 20; trial++) {
      int[] w = new int[t.layers()];
      int[] a = new int[t.layers()];
      for (int i = 0; i < w.length; i++) {
        w[i] = 1 + r.nextInt(8);
        a[i] = 1 + r.nextInt(8);
      }
      CostReport full = sim.priceUncached(base.withBits(w, a));
      assertEquals(full.totalCycles(), t.cycles(w, a));
      assertEquals(full.energyNj(), t.energyNj(w, a), full.energyNj() * 1e-12);
      assertEquals(full.latencyMs(), t.latencyMs(w, a), 1e-12);
    }
    assertEquals(0, t.cycles(new int[] {0, 0, 0, 0}, new int[] {8, 8, 8, 8}));
    String csv = t.toCsv();
    assertEquals(1 + 4 * 64, csv.split("\n").length);
    assertTrue(csv.startsWith("layer,index,weight_bits,activation_bits,cycles,latency_ms,energy_nj"));
    Map<String, Object> json = t.toJsonMap();
    assertEquals(t.cycles(2, 3, 5), ((long[][][]) json.get("cycles"))[2][2][4]);
  }

  @Test
  void haqTableShapeOnTheBitSerialGemm() {
    // hwsim.md §3.7(f): BS-WA is proportional to w*a in compute-bound layers.
    Workload base = new Workload("one", java.util.List.of(
        WorkloadLayer.conv("mid", 16, 128, 128, 56, 56, 3, 1, 8, 8, 8, false)));
    LookupTable t = LookupTable.build(Simulator.of("bismo"), base, 8);
    double c44 = t.cycles(0, 4, 4);
    assertEquals(4.0, t.cycles(0, 8, 8) / c44, 4 * 0.02);
    assertEquals(2.0, t.cycles(0, 8, 4) / c44, 2 * 0.02);
    assertEquals(2.0, t.cycles(0, 4, 8) / c44, 2 * 0.02);
    // A thinner layer (256 channels at 14x14) is memory-bound at low bits on BISMO's 128-bit DRAM port.
    LookupTable thin = LookupTable.build(Simulator.of("bismo"), new Workload("thin", java.util.List.of(
        WorkloadLayer.conv("thin", 16, 256, 256, 14, 14, 3, 1, 8, 8, 8, false))), 2);
    assertTrue(thin.cycles(0, 2, 2) / (double) thin.cycles(0, 1, 1) < 4);
  }
}
