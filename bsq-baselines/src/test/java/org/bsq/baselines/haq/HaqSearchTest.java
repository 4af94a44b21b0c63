package org.bsq.baselines.haq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.LayerCostTable;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.junit.jupiter.api.Test;

/**
 * The agent against a synthetic accuracy function of the bits (no network): small layers at the ends are very
 * sensitive, the large middle layers are not, and the size budget (4 average bits) only allows the best accuracy when
 * the large layers take few bits. The reference's wall lowers bits from the last layer, so a random scheme over budget
 * loses bits on the sensitive last layer first; the agent has to learn to spend the budget well.
 */
class HaqSearchTest {
  static LayerInventory chain() {
    GraphBuilder b = new GraphBuilder("chain", 3, 16, 16);
    int x = b.conv("c1", b.input(), 8, 3, 1, 1);
    int[][] convs = {{16, 1}, {32, 2}, {64, 1}, {64, 2}, {64, 1}};
    for (int i = 0; i < convs.length; i++) {
      x = b.activation("r" + i, b.conv("c" + (i + 2), x, convs[i][0], 3, convs[i][1], 1), ActivationSpec.relu());
    }
    b.linear("fc", b.globalAvgPool(x), 10);
    return LayerInventory.of(b.build());
  }

  /** Per-layer sensitivity: accuracy lost at 2 bits, halving with each extra bit. */
  static final double[] SENSITIVITY = {0.08, 0.02, 0.004, 0.002, 0.002, 0.002, 0.08};

  static double accuracy(QuantizationScheme s, LayerInventory inv) {
    double acc = 0.9;
    for (LayerInfo l : inv) {
      acc -= SENSITIVITY[l.index()] * Math.pow(2, -(s.get(l.name()).weightBits() - 2));
    }
    return acc;
  }

  static HaqSearch.Result search(LayerInventory inv, int episodes, int warmup, long seed) {
    LayerCostTable table = new SizeOnlyCostModel().table(inv, CostMetric.SIZE).orElseThrow();
    HaqEnvironment env = new HaqEnvironment(inv, table, 4.0, new HaqEnvironment.Settings(2, 8, true, 0, false));
    DdpgAgent agent = new DdpgAgent(new DdpgAgent.Settings(HaqEnvironment.FEATURES, 64, 64, 1e-3, 1e-3, 0.01, 1.0,
        32, 128 * env.layers(), 0.5, 0.95, warmup, 0.5, seed));
    return HaqSearch.run(env, agent, episodes, 1, 0.9, 0.1, new HaqSearch.Evaluation() {
      @Override public boolean canEvaluate() { return true; }

      @Override public double accuracy(QuantizationScheme scheme, double cost, DoubleUnaryOperator reward) {
        assertTrue(cost <= 4.0 + 1e-9);
        return HaqSearchTest.accuracy(scheme, inv);
      }
    });
  }

  @Test
  void theAgentBeatsRandomSearchAtEqualEvaluations() {
    LayerInventory inv = chain();
    int episodes = 70;
    int seeds = 3;
    double[] agent = new double[seeds];
    double[] random = new double[seeds];
    for (int s = 0; s < seeds; s++) {
      HaqSearch.Result a = search(inv, episodes, 10, 100 + s);
      HaqSearch.Result r = search(inv, episodes, episodes, 100 + s); // warm-up all along: uniform random actions
      assertEquals(episodes, a.episodes());
      assertEquals(0, r.updates());
      agent[s] = a.bestReward();
      random[s] = r.bestReward();
      System.out.printf(Locale.ROOT, "seed %d: agent best %.4f (%s, %d updates in %.1f s), random best %.4f (%s)%n",
          100 + s, a.bestReward(), bits(a.best(), inv), a.updates(), a.agentSeconds(), r.bestReward(),
          bits(r.best(), inv));
    }
    double optimum = HaqEnvironment.reward(bestAccuracy(inv), 0.9, 0.1);
    System.out.printf(Locale.ROOT, "optimum within budget: %.4f%n", optimum);
    for (int s = 0; s < seeds; s++) {
      assertTrue(agent[s] <= optimum + 1e-12 && random[s] <= optimum + 1e-12);
    }
    Arrays.sort(agent);
    Arrays.sort(random);
    assertTrue(agent[seeds / 2] > random[seeds / 2], "median best reward: agent " + agent[seeds / 2] + ", random "
        + random[seeds / 2]);
  }

  /** The known best accuracy within 4 average bits, by enumerating every scheme of 2..8 bits. */
  static double bestAccuracy(LayerInventory inv) {
    int n = inv.size();
    double[] share = new double[n];
    double counted = QuantizationScheme.countedParams(inv);
    for (LayerInfo l : inv) {
      share[l.index()] = l.paramCount() / counted;
    }
    double best = Double.NEGATIVE_INFINITY;
    int[] w = new int[n];
    Arrays.fill(w, 2);
    while (true) {
      double size = 0;
      double acc = 0.9;
      for (int i = 0; i < n; i++) {
        size += share[i] * w[i];
        acc -= SENSITIVITY[i] * Math.pow(2, -(w[i] - 2));
      }
      if (size <= 4.0 + 1e-12) {
        best = Math.max(best, acc);
      }
      int i = 0;
      while (i < n && ++w[i] > 8) {
        w[i++] = 2;
      }
      if (i == n) {
        return best;
      }
    }
  }

  private static String bits(QuantizationScheme s, LayerInventory inv) {
    StringBuilder b = new StringBuilder();
    inv.forEach(l -> b.append(s.get(l.name()).weightBits()).append(' '));
    return b.toString().trim();
  }
}
