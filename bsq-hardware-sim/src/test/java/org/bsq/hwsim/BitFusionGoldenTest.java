package org.bsq.hwsim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Golden vectors of shared/docs/reference/hwsim.md §3.7 (BitFusion repo results/bitfusion-eyeriss-sim-sweep.csv and
 * re-runs of its algorithm), reproduced by the bitfusion-e preset in compatibility mode: cycles exactly, energy to
 * 1e-6 relative.
 */
class BitFusionGoldenTest {
  private static final Accelerator BFE = Presets.get("bitfusion-e");
  private static final Simulator SIM = new Simulator(BFE);
  private static final Map<String, Workload> NETS = Workloads.bitfusionBenchmarks();

  private static WorkloadLayer layer(String net, String name) {
    return NETS.get(net).layers().stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow();
  }

  /** Counter order of hwsim.md: cycles, stall, WBUF R/W, IBUF R/W, OBUF R/W, DRAM R/W. */
  private static long[] counters(LayerResult r) {
    return new long[] {r.totalCycles(), r.stallCycles(), r.wbufReadBits(), r.wbufWriteBits(), r.ibufReadBits(),
        r.ibufWriteBits(), r.obufReadBits(), r.obufWriteBits(), r.dramReadBits(), r.dramWriteBits()};
  }

  private static void assertRow(String net, String name, long[] expected, double energyNj) {
    LayerResult r = SIM.simulateUncached(layer(net, name));
    assertArrayEquals(expected, counters(r), net + " " + name);
    assertEquals(energyNj, r.energyNj(), energyNj * 1e-6, net + " " + name + " energy");
    assertEquals(r.totalCycles() - r.stallCycles(), r.computeCycles());
    assertEquals(r.energyNj(), r.coreNj() + r.sramNj() + r.dramNj(), r.energyNj() * 1e-12);
  }

  @Test
  void perLayerRowsOfTheSweepCsv() {
    assertRow("SVHN", "conv0", new long[] {367979, 335211, 28311552, 4096, 226492416, 3538944, 67108864, 67108864,
        37097472, 33554432}, 1089090.0);
    assertRow("SVHN", "conv1", new long[] {358316, 63404, 603979776, 49152, 603979776, 1638400, 67108864, 67108864,
        35241984, 33554432}, 1157424.3);
    assertRow("CIFAR10", "conv1", new long[] {799062, 209238, 4831838208L, 327680, 4831838208L, 18874368, 134217728,
        134217728, 86310912, 67108864}, 2846987.3);
    assertRow("LeNet-5", "conv1", new long[] {205635, 835, 419430400, 131072, 419430400, 13107200, 16777216, 16777216,
        21626880, 8388608}, 535564.9);
    assertRow("AlexNet", "conv2_a", new long[] {5018849, 1249, 41104179200L, 3276800, 41104179200L, 462422016,
        411041792, 411041792, 671219712, 205520896}, 17749972.9);
    assertRow("AlexNet", "fc1", new long[] {3545090, 2365442, 9663676416L, 603979776, 9663676416L, 1179648, 75497472,
        75497472, 642908160, 37748736}, 11294025.0);
    assertRow("AlexNet", "fc3", new long[] {398679, 136535, 1073741824, 67108864, 1073741824, 1048576, 8388608,
        8388608, 72351744, 4194304}, 1299574.1);
    assertRow("ResNet-18", "conv1_a", new long[] {9793537, 1765377, 30211571712L, 163840, 30211571712L, 236027904,
        1644167168, 1644167168, 1058275328, 822083584}, 32736658.0);
    assertRow("ResNet-18", "conv3_2_b", new long[] {3613708, 1036, 29595009024L, 2359296, 29595009024L, 231211008,
        411041792, 411041792, 439091200, 205520896}, 12981023.2);
    assertRow("LSTM", "matmul", new long[] {337175, 231383, 866648064, 54165504, 866648064, 6770688, 110231552,
        110231552, 62836736, 1900544}, 1080038.2);
  }

  private static void assertNetwork(String net, long cycles, long stall, double energyNj, double msPerImage,
                                    double nbPw) {
    CostReport r = SIM.priceUncached(NETS.get(net));
    assertEquals(cycles, r.totalCycles(), net + " cycles");
    assertEquals(stall, r.stallCycles(), net + " stall");
    assertEquals(energyNj, r.energyNj(), energyNj * 1e-6, net + " energy");
    assertEquals(msPerImage, r.latencyMsPerSample(), 1e-9, net + " ms/img");
    double notebookPower = r.energyNj() * 1e-9 * 16e3 / r.latencyMsPerSample();
    assertEquals(nbPw, notebookPower, nbPw * 1e-6, net + " notebook power metric");
  }

  @Test
  void networkTotals() {
    assertNetwork("AlexNet", 37666491, 6793243, 131946377.6, 4.708311375, 448.386241718);
    assertNetwork("SVHN", 1317523, 537171, 4220335.9, 0.164690375, 410.014092738);
    assertNetwork("CIFAR10", 3293704, 1522120, 11591382.6, 0.411713, 450.464576981);
    assertNetwork("LeNet-5", 410352, 185040, 1141369.3, 0.051294, 356.024253811);
    assertNetwork("VGG-7", 2822491, 1790299, 9248803.2, 0.352811375, 419.433333242);
    assertNetwork("ResNet-18", 49079982, 9541294, 169665765.3, 6.13499775, 442.486265848);
    assertNetwork("RNN", 394583, 263511, 1256872.7, 0.049322875, 407.720807613);
    assertNetwork("LSTM", 337175, 231383, 1080038.2, 0.042146875, 410.009320233);
  }

  private static void assertMixed(int a, int w, long cycles, long stall, double energyNj) {
    LayerResult r = SIM.simulateUncached(layer("ResNet-18", "conv3_2_b").withBits(w, a, 32));
    assertEquals(cycles, r.totalCycles(), "a" + a + "/w" + w + " cycles");
    assertEquals(stall, r.stallCycles(), "a" + a + "/w" + w + " stall");
    assertEquals(energyNj, r.energyNj(), energyNj * 1e-6, "a" + a + "/w" + w + " energy");
  }

  @Test
  void mixedPrecisionAndOddBitWidths() {
    assertMixed(8, 8, 14451270, 582, 46238459.7);
    assertMixed(8, 4, 7225996, 652, 25294272.0);
    assertMixed(4, 8, 7226332, 988, 20707447.0);
    assertMixed(4, 2, 2280790, 474454, 9117811.3);
    assertMixed(2, 2, 1678678, 775510, 6278173.2);
    assertMixed(4, 3, 3613516, 844, 12814079.6);   // 3 bits behave as 4
    assertMixed(4, 5, 7226044, 700, 20206616.2);   // 5 bits behave as 8
    assertMixed(4, 1, 1807638, 1302, 7203640.3);   // 1 bit behaves as 2
    WorkloadLayer conv = layer("ResNet-18", "conv3_2_b");
    assertEquals(14450688, SIM.simulateUncached(conv.withBits(8, 8, 32)).computeCycles());
    assertEquals(3612672, SIM.simulateUncached(conv).computeCycles());
  }

  @Test
  void batchOne() {
    WorkloadLayer conv = layer("ResNet-18", "conv3_2_b").withBatch(1);
    assertEquals(904060, SIM.simulateUncached(conv.withBits(8, 8, 32)).totalCycles());
    assertEquals(227404, SIM.simulateUncached(conv.withBits(4, 4, 32)).totalCycles());
    assertEquals(148311, SIM.simulateUncached(conv.withBits(2, 4, 32)).totalCycles());
    assertEquals(110679, SIM.simulateUncached(conv.withBits(2, 2, 32)).totalCycles());
  }

  private static Accelerator swept(int cols, long wbuf, long ibuf, long obuf) {
    return new Accelerator("bf-sweep", "", PeModel.FUSION, 16, cols, 1, 8, 2, false, 500_000_000L, wbuf, ibuf, obuf,
        4096, 32, 1, 1, BFE.energy(), true, SearchObjective.LATENCY, Map.of());
  }

  @Test
  void otherSweptConfigurations() {
    WorkloadLayer conv = layer("ResNet-18", "conv3_2_b");
    long[][] expected = {{32, 64, 32, 16, 3612695, 23}, {64, 128, 64, 32, 1806385, 49},
        {128, 256, 128, 64, 903281, 113}, {256, 512, 256, 128, 451788, 204}};
    for (long[] e : expected) {
      LayerResult r = TilingEngine.simulate(swept((int) e[0], e[1] * 1024, e[2] * 1024, e[3] * 1024), conv);
      assertEquals(e[4], r.totalCycles(), "M=" + e[0] + " cycles");
      assertEquals(e[5], r.stallCycles(), "M=" + e[0] + " stall");
    }
  }

  @Test
  void coreEnergyConstantIsBitFusions() {
    assertEquals(0.235104, BFE.energy().coreNjPerCycle(), 1e-15);
    assertEquals(0.02137, BFE.energy().wbufReadNjPerBit() * 1e3, 1e-5);
    assertEquals(0.11370, BFE.energy().ibufWriteNjPerBit() * 1e3, 1e-5);
    assertEquals(0.07308, BFE.energy().obufWriteNjPerBit() * 1e3, 1e-5);
  }
}
