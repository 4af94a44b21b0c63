package org.bsq.hwsim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Model properties: monotonicity in the bits, free 0-bit layers, serial presets scaling as their formulas say. */
class PropertyTest {
  private static final List<WorkloadLayer> LAYERS = List.of(
      WorkloadLayer.conv("stem", 16, 3, 16, 32, 32, 3, 1, 8, 8, 8, true),
      WorkloadLayer.conv("conv32", 16, 16, 32, 32, 16, 3, 2, 8, 8, 8, false),
      WorkloadLayer.conv("shortcut", 16, 32, 64, 16, 8, 1, 2, 8, 8, 8, false),
      WorkloadLayer.fc("fc", 16, 64, 10, 8, 8, 32));

  private static void assertMonotone(Accelerator acc, int maxBits, boolean energy) {
    Simulator sim = new Simulator(acc);
    for (WorkloadLayer l : LAYERS) {
      for (int o : new int[] {2, 8}) {
        double[][] v = new double[maxBits + 1][maxBits + 1];
        for (int w = 1; w <= maxBits; w++) {
          for (int a = 1; a <= maxBits; a++) {
            LayerResult r = sim.layer(l.withBits(w, a, o));
            v[w][a] = energy ? r.energyNj() : r.totalCycles();
          }
        }
        for (int w = 1; w <= maxBits; w++) {
          for (int a = 1; a <= maxBits; a++) {
            String at = acc.name() + " " + l.name() + " w" + w + " a" + a + " o" + o + (energy ? " energy" : " cycles");
            if (w < maxBits) {
              assertTrue(v[w + 1][a] >= v[w][a], at + ": more weight bits must not cost less");
            }
            if (a < maxBits) {
              assertTrue(v[w][a + 1] >= v[w][a], at + ": more activation bits must not cost less");
            }
          }
        }
        if (o == 2) {
          LayerResult lo = sim.layer(l.withBits(4, 4, 2));
          LayerResult hi = sim.layer(l.withBits(4, 4, 8));
          assertTrue((energy ? hi.energyNj() : hi.totalCycles()) >= (energy ? lo.energyNj() : lo.totalCycles()),
              acc.name() + " " + l.name() + ": more output bits must not cost less");
        }
      }
    }
  }

  @Test
  void latencyNeverDecreasesWithBitsOnMonotonePresets() {
    for (Accelerator acc : Presets.all()) {
      Accelerator a = acc.bitfusionCompat() ? acc.withCompat(false) : acc;
      assertTrue(a.monotone());
      assertMonotone(a, 8, false);
    }
  }

  @Test
  void energyNeverDecreasesWithBitsUnderTheEnergyObjective() {
    for (String name : List.of("bitfusion-e", "int8", "stripes", "unpu", "loom", "bismo", "pragmatic")) {
      Accelerator a = Presets.get(name).withCompat(false).withObjective(SearchObjective.ENERGY);
      assertMonotone(a, 5, true);
    }
  }

  @Test
  void zeroBitLayersCostNothing() {
    for (Accelerator acc : Presets.all()) {
      Simulator sim = new Simulator(acc);
      for (WorkloadLayer l : LAYERS) {
        for (LayerResult r : List.of(sim.layer(l.withBits(0, 8, 8)), sim.layer(l.withBits(8, 0, 8)))) {
          assertEquals(0, r.totalCycles(), acc.name() + " " + l.name());
          assertEquals(0, r.dramReadBits() + r.dramWriteBits());
          assertEquals(0.0, r.energyNj());
        }
      }
      Workload w = new Workload("net", LAYERS).withBits(new int[] {8, 0, 8, 8}, new int[] {8, 8, 8, 8});
      Workload without = new Workload("net", List.of(LAYERS.get(0), LAYERS.get(2), LAYERS.get(3)))
          .withBits(new int[] {8, 8, 8}, new int[] {8, 8, 8});
      assertEquals(sim.price(without).totalCycles(), sim.price(w).totalCycles(), acc.name());
    }
  }

  /** Compute cycles recomputed from the chosen tiling with the preset's step formula. */
  private static long expectedCompute(Accelerator acc, WorkloadLayer l, Tiling t, double steps) {
    long tiles = t.trips().stream().mapToLong(Integer::longValue).reduce(1, (x, y) -> x * y);
    long pix = (long) t.batchTile() * t.widthTile() * t.heightTile();
    long lanes = (pix + acc.windowLanes() - 1) / acc.windowLanes();
    long ocs = (t.outChannelTile() + acc.cols() - 1) / acc.cols();
    boolean gemm = l.firstLayer() || acc.gemmMapping();
    long red = gemm ? ((long) l.kernel() * l.kernel() * t.inChannelTile() + acc.rows() - 1) / acc.rows()
        : (long) l.kernel() * l.kernel() * ((t.inChannelTile() + acc.rows() - 1) / acc.rows());
    return (long) Math.rint(tiles * lanes * ocs * red * steps);
  }

  @Test
  void serialPresetsScaleWithBitsAsTheirFormulasSay() {
    for (WorkloadLayer l : LAYERS) {
      for (int w = 1; w <= 8; w++) {
        for (int a = 1; a <= 8; a++) {
          WorkloadLayer x = l.withBits(w, a, 8);
          for (String name : List.of("stripes", "unpu", "loom", "bismo", "pragmatic", "int8")) {
            Accelerator acc = Presets.get(name);
            LayerResult r = new Simulator(acc).layer(x);
            double steps = switch (name) {
              case "stripes" -> a;
              case "unpu", "pragmatic" -> w;
              case "loom", "bismo" -> a * w;
              default -> 1;
            };
            assertEquals(expectedCompute(acc, x, r.tiling(), steps), r.computeCycles(), name + " " + l.name()
                + " w" + w + " a" + a);
          }
        }
      }
    }
    // A compute-bound layer keeps its tiling: cycles scale exactly with the serial operand.
    WorkloadLayer big = WorkloadLayer.conv("big", 16, 256, 256, 28, 28, 3, 1, 8, 8, 8, false);
    Simulator stripes = Simulator.of("stripes");
    assertEquals(2.0, (double) stripes.layer(big.withBits(8, 8, 8)).computeCycles()
        / stripes.layer(big.withBits(8, 4, 8)).computeCycles(), 1e-12);
    Simulator unpu = Simulator.of("unpu");
    assertEquals(4.0, (double) unpu.layer(big.withBits(8, 8, 8)).computeCycles()
        / unpu.layer(big.withBits(2, 8, 8)).computeCycles(), 1e-12);
    Simulator loom = Simulator.of("loom");
    assertEquals(16.0, (double) loom.layer(big.withBits(8, 8, 8)).computeCycles()
        / loom.layer(big.withBits(2, 2, 8)).computeCycles(), 1e-12);
    // At 8/8 the serial presets match BitFusion's 512 MACs per cycle.
    for (String name : List.of("bitfusion-e", "int8", "stripes", "unpu", "loom", "pragmatic")) {
      assertEquals(512.0, Presets.get(name).peakMacsPerCycle(8, 8), 1e-9, name);
    }
    assertEquals(256.0, Presets.get("bismo").peakMacsPerCycle(8, 8), 1e-9);
  }

  @Test
  void pragmaticUsesTheNonZeroBitsOfTheBitPlanes() {
    WorkloadLayer big = WorkloadLayer.conv("big", 16, 256, 256, 28, 28, 3, 1, 8, 8, 8, false);
    Simulator p = Simulator.of("pragmatic");
    long dense = p.layer(big).computeCycles();
    assertEquals(Simulator.of("unpu").layer(big).computeCycles(), dense);
    // Two of eight planes are all-zero: exactly 6 steps per lane group.
    BitPlaneStats twoEmpty = new BitPlaneStats(List.of(0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0));
    assertEquals(6.0, twoEmpty.expectedGroupSteps(8, 16), 1e-12);
    assertEquals(dense * 6 / 8, p.layer(big.withBitPlanes(twoEmpty)).computeCycles());
    // Sparse planes: expected max popcount of 16 lanes, between the mean and the plane count.
    BitPlaneStats sparse = new BitPlaneStats(List.of(0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.0, 0.0));
    double steps = sparse.expectedGroupSteps(8, 16);
    assertTrue(steps > 0.68 && steps < 6, "expected steps " + steps);
    assertEquals(0.68, sparse.expectedGroupSteps(8, 1), 1e-12);
    assertTrue(p.layer(big.withBitPlanes(sparse)).computeCycles() < dense / 2);
  }

  @Test
  void compatibilityModeRejectsBitsBitFusionCannotRun() {
    Simulator bfe = Simulator.of("bitfusion-e");
    WorkloadLayer l = LAYERS.get(1).withBits(9, 8, 8);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bfe.layer(l));
    assertTrue(e.getMessage().contains("bitfusionCompat false"), e.getMessage());
    LayerResult extended = new Simulator(Presets.get("bitfusion-e").withCompat(false)).layer(l);
    assertTrue(extended.totalCycles() > 0);
  }

  @Test
  void defaultModelFixesTheAccidentalCosts() {
    // Outputs drained at their own bits instead of 32: the default model moves fewer DRAM bits.
    WorkloadLayer l = Workloads.resnet18Wrpn(8, 8, 4, 4).layer(10).withBits(4, 4, 4);
    LayerResult compat = Simulator.of("bitfusion-e").layer(l);
    LayerResult fixed = new Simulator(Presets.get("bitfusion-e").withCompat(false)).layer(l);
    assertTrue(fixed.dramWriteBits() < compat.dramWriteBits());
    assertTrue(fixed.energyNj() < compat.energyNj());
    assertEquals(compat.computeCycles(), fixed.computeCycles());
  }
}
