package org.bsq.baselines.haq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.LayerCostTable;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.junit.jupiter.api.Test;

class HaqEnvironmentTest {
  /** CIFAR ResNet-20 (3 stages of 3 basic blocks, projection shortcuts where the shape changes), as bsq-models. */
  static LayerInventory resnet20() {
    GraphBuilder b = new GraphBuilder("resnet20", 3, 32, 32);
    int x = b.activation("relu", b.batchNorm("bn1", b.conv("conv1", b.input(), 16, 3, 1, 1)), ActivationSpec.relu());
    int in = 16;
    int[] widths = {16, 32, 64};
    for (int stage = 0; stage < 3; stage++) {
      for (int block = 0; block < 3; block++) {
        String p = "layer" + (stage + 1) + "." + block;
        int stride = stage > 0 && block == 0 ? 2 : 1;
        int w = widths[stage];
        int y = b.activation(p + ".relu1", b.batchNorm(p + ".bn1", b.conv(p + ".conv1", x, w, 3, stride, 1)),
            ActivationSpec.relu());
        y = b.batchNorm(p + ".bn2", b.conv(p + ".conv2", y, w, 3, 1, 1));
        int shortcut = x;
        if (stride != 1 || in != w) {
          shortcut = b.batchNorm(p + ".downsample.1", b.conv(p + ".downsample.0", x, w, 1, stride, 0));
        }
        x = b.activation(p + ".relu2", b.add(y, shortcut), ActivationSpec.relu());
        in = w;
      }
    }
    b.linear("fc", b.globalAvgPool(x), 10);
    return LayerInventory.of(b.build());
  }

  static LayerCostTable size(LayerInventory inv) {
    return new SizeOnlyCostModel().table(inv, CostMetric.SIZE).orElseThrow();
  }

  /** A latency-like table where activation bits matter: MACs * w * a (the image input priced like any layer). */
  static LayerCostTable bitOps(LayerInventory inv) {
    List<String> names = inv.layers().stream().map(LayerInfo::name).toList();
    return new LayerCostTable() {
      @Override public CostMetric metric() { return CostMetric.LATENCY; }
      @Override public List<String> layers() { return names; }
      @Override public double cost(int layer, int w, int a) {
        return inv.get(layer).macsPerSample() * 1e-6 * w * (a == 0 ? 32 : a);
      }
    };
  }

  private static HaqEnvironment.Settings both(boolean keep) { return new HaqEnvironment.Settings(2, 8, false, 0, keep); }

  private static HaqEnvironment.Settings weights(boolean keep) {
    return new HaqEnvironment.Settings(2, 8, true, 0, keep);
  }

  @Test
  void resnet20StatesFollowTheReferenceEmbedding() {
    LayerInventory inv = resnet20();
    assertEquals(22, inv.size());
    HaqEnvironment env = new HaqEnvironment(inv, size(inv), 8, both(true));
    assertEquals(20, env.layers(), "19 convs and fc; the two projection shortcuts are not agent steps");
    assertEquals(40, env.steps());
    // conv1: dw 0, in 3 (min), out 16 (fc's 10 is the minimum, 64 the maximum), stride 1 (between fc's 0 and 2), kernel 3 (max), 432 weights,
    // 32x32 input (max), index 0; previous action 1 (max bits), weight step
    double[] s = env.reset();
    double wMin = 432;
    double wMax = 64 * 64 * 9;
    assertArrayEquals(new double[] {0, 0, 1 / 9.0, 0.5, 1, 0, 1, 0, 1, 1}, s);
    s = env.step(0.0); // conv1 weights -> 2 bits; the activation step of conv1
    assertArrayEquals(new double[] {0, 0, 1 / 9.0, 0.5, 1, 0, 1, 0, 2.0 / 8, 0}, s);
    s = env.step(1.0); // conv1 activations -> 8 bits; layer1.0.conv1's weight step
    double w = (16 * 16 * 9 - wMin) / (wMax - wMin);
    assertArrayEquals(new double[] {0, (16 - 3) / 61.0, 1 / 9.0, 0.5, 1, w, 1, 1 / 19.0, 1, 1}, s);
    for (int i = 2; i < 38; i++) {
      s = env.step(0.5);
    }
    // fc: in 64 (max), out 10 (the minimum), stride 0, kernel 1, 640 weights, a 1x1 input, index 19
    assertArrayEquals(new double[] {0, 1, 0, 0, 0, (640 - wMin) / (wMax - wMin), 0, 1, 5.0 / 8, 1}, s);
    // layer2.0.conv1: stride 2, 16x16... check a strided conv
    double[][] emb = HaqEnvironment.embedding(inv, inv.layers().stream().filter(l -> !l.projectionShortcut())
        .mapToInt(LayerInfo::index).toArray());
    assertEquals(1.0, emb[7][3], "layer2.0.conv1 has stride 2 (the maximum)");
    assertEquals(1.0, emb[7][6], "its input is still 32x32");
    assertEquals((16.0 * 16 - 1) / (32 * 32 - 1), emb[8][6], 1e-12,
        "layer2.0.conv2 reads 16x16 (fc's 1x1 is the minimum)");
  }

  private static void assertArrayEquals(double[] expected, double[] actual) {
    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, 1e-12,
        java.util.Arrays.toString(actual));
  }

  @Test
  void actionsMapToBitsWithEqualWidthsAndStayInRange() {
    LayerInventory inv = resnet20();
    HaqEnvironment env = new HaqEnvironment(inv, size(inv), 8, both(false));
    assertEquals(2, env.bits(0));
    assertEquals(8, env.bits(1));
    assertEquals(5, env.bits(0.5));
    assertEquals(2, env.bits(0.99 / 7)); // [0, 1/7) -> 2 bits
    assertEquals(3, env.bits(1.01 / 7));
    HaqEnvironment odd = new HaqEnvironment(inv, size(inv), 8, new HaqEnvironment.Settings(1, 7, false, 0, false));
    assertEquals(7, odd.bits(1), "np.round(7.5) = 8 in the reference; clamped to maxBits");
    assertEquals(1, odd.bits(0), "np.round(0.5) = 0 in the reference; clamped to minBits");
    int previous = 2;
    for (double a = 0; a <= 1; a += 0.001) {
      int bits = env.bits(a);
      assertTrue(bits >= previous && bits <= 8);
      previous = bits;
    }
  }

  /** Property: whatever the actions, mode and reachable budget, the episode's scheme ends within the budget. */
  @Test
  void theWallAlwaysEndsWithinTheBudget() {
    LayerInventory inv = resnet20();
    SplittableRandom r = new SplittableRandom(42);
    for (LayerCostTable table : List.of(size(inv), bitOps(inv))) {
      for (HaqEnvironment.Settings s : List.of(both(true), both(false), weights(true), weights(false))) {
        double min = table.total(HaqEnvironment.cheapest(inv, s), inv);
        double max = table.total(QuantizationScheme.uniform(inv, 8, s.weightOnly() ? 0 : 8), inv);
        for (int episode = 0; episode < 300; episode++) {
          double limit = min + (max - min) * r.nextDouble() * r.nextDouble();
          HaqEnvironment env = new HaqEnvironment(inv, table, limit, s);
          env.reset();
          while (!env.done()) {
            env.step(r.nextDouble());
          }
          QuantizationScheme scheme = env.scheme();
          scheme.checkAgainst(inv);
          assertTrue(table.total(scheme, inv) <= limit * (1 + 1e-9), s + " limit " + limit + ": " + scheme);
          assertEquals(env.cost(), table.total(scheme, inv), 1e-9);
          for (LayerInfo l : inv) {
            LayerPrecision p = scheme.get(l.name());
            if (l.projectionShortcut()) {
              assertEquals(LayerPrecision.full(l.name()), p);
            } else {
              assertTrue(p.weightBits() >= 2 && p.weightBits() <= 8, p.toString());
              assertEquals(s.weightOnly(), p.activationBits() == 0, p.toString());
            }
          }
        }
        // the cheapest budget is reached from the most expensive actions
        HaqEnvironment env = new HaqEnvironment(inv, table, min, s);
        env.reset();
        while (!env.done()) {
          env.step(1.0);
        }
        assertEquals(min, env.cost(), 1e-9 * min, s.toString());
      }
    }
  }

  @Test
  void theWallLowersFromTheLastLayerAndLeavesSchemesWithinBudgetAlone() {
    LayerInventory inv = resnet20();
    LayerCostTable table = size(inv);
    HaqEnvironment env = new HaqEnvironment(inv, table, 8, weights(false));
    env.reset();
    while (!env.done()) {
      env.step(1.0);
    }
    assertEquals(QuantizationScheme.uniform(inv, 8, 0), env.scheme(), "8 bits fit a budget of 8 average bits");
    // budget just under 8 average bits: only fc (the last counted layer) loses one bit
    HaqEnvironment under = new HaqEnvironment(inv, table, 8 - 1e-6, weights(false));
    under.reset();
    while (!under.done()) {
      under.step(1.0);
    }
    List<Integer> bits = new ArrayList<>();
    inv.forEach(l -> bits.add(under.scheme().get(l.name()).weightBits()));
    assertEquals(7, under.scheme().get("fc").weightBits(), bits.toString());
    assertEquals(8, under.scheme().get("layer3.2.conv2").weightBits(), bits.toString());
    // the linear env's order: activations first, then weights; keep-first-last holds fc and conv1 at 8/8
    HaqEnvironment lat = new HaqEnvironment(inv, bitOps(inv), bitOps(inv).total(QuantizationScheme.uniform(inv, 8, 8),
        inv) - 1e-6, both(true));
    lat.reset();
    while (!lat.done()) {
      lat.step(1.0);
    }
    assertEquals(LayerPrecision.of("fc", 8, 8), lat.scheme().get("fc"));
    assertEquals(LayerPrecision.of("layer3.2.conv2", 8, 7), lat.scheme().get("layer3.2.conv2"));
  }

  @Test
  void rewardIsNegativeBelowFullPrecisionAndScaledPerPercentagePoint() {
    assertTrue(HaqEnvironment.reward(0.80, 0.90, 0.1) < 0);
    assertEquals(-1.0, HaqEnvironment.reward(0.80, 0.90, 0.1), 1e-12, "0.1 * (80 - 90)");
    assertEquals(0.0, HaqEnvironment.reward(0.9, 0.9, 0.1));
    assertTrue(HaqEnvironment.reward(0.91, 0.90, 0.1) > 0);
  }
}
