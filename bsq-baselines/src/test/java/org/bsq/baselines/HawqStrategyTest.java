package org.bsq.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import org.bsq.core.data.Batch;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.SoftmaxCrossEntropy;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.param.Parameter;
import org.bsq.core.quant.Precision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyContract;
import org.bsq.core.strategy.StrategyOutcome;
import org.bsq.core.train.CompiledNetworks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HawqStrategyTest extends StrategyContract {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected QuantizationStrategy strategy() { return new HawqStrategy(); }

  @Override
  protected String registeredName() { return "hawq"; }

  @Override
  protected JsonNode parameters() {
    ObjectNode p = JSON.createObjectNode();
    p.putObject("budget").put("ratio", 0).put("value", 4.0);
    p.put("hutchinsonSamples", 12).put("batches", 2);
    return p;
  }

  private static StrategyContext withParameters(StrategyContext c, JsonNode parameters) {
    return new StrategyContext(c.layers(), c.model(), c.backend(), c.train(), c.validation(), c.cost(), c.budget(),
        c.seed(), parameters, c.workDir());
  }

  // ---- Hessian traces ----------------------------------------------------------------------------------------------

  /**
   * A linear layer with softmax cross-entropy has the Hessian {@code (1/N) sum_i (diag(p_i) - p_i p_i^T) (x) x_i x_i^T},
   * so {@code Tr(H) = (1/N) sum_i ||x_i||^2 sum_c p_ic (1 - p_ic)} exactly (and the Gauss-Newton matrix is the Hessian).
   * Hutchinson with 3000 probes, by either method, must agree within 4 standard errors plus 0.5% (the
   * finite-difference bias of a smooth loss at eps = 1e-3 is far below that).
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(HutchinsonTrace.Method.class)
  void hutchinsonAgreesWithTheAnalyticTraceOfALinearSoftmaxLayer(HutchinsonTrace.Method method) {
    GraphBuilder b = new GraphBuilder("linear", 3, 2, 2);
    b.linear("fc", b.input(), TinyNets.CLASSES);
    Model model = TinyNets.randomModel(b.build(), 21);
    int n = 8;
    float[] x = TinyNets.input(model, n, 22);
    int[] y = TinyNets.labels(model, n, 23);
    List<Batch> batches = List.of(new Batch(x, y, n, 0));

    float[] w = model.parameters().get("fc.weight").value();
    float[] bias = model.parameters().get("fc.bias").value();
    int d = 12;
    int classes = TinyNets.CLASSES;
    double exact = 0;
    for (int i = 0; i < n; i++) {
      double[] logits = new double[classes];
      double norm = 0;
      for (int k = 0; k < d; k++) {
        norm += (double) x[i * d + k] * x[i * d + k];
      }
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        double z = bias[c];
        for (int k = 0; k < d; k++) {
          z += (double) w[c * d + k] * x[i * d + k];
        }
        logits[c] = z;
        max = Math.max(max, z);
      }
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        sum += Math.exp(logits[c] - max);
      }
      for (int c = 0; c < classes; c++) {
        double p = Math.exp(logits[c] - max) / sum;
        exact += norm * p * (1 - p) / n;
      }
    }
    float[] before = w.clone();
    HutchinsonTrace.Result r;
    try (CompiledNetworks nets = new CompiledNetworks(new ReferenceBackend(1), model)) {
      r = HutchinsonTrace.estimate(nets, batches, List.of("fc"), new HutchinsonTrace.Settings(method, 3000, 0, 10, 1e-3, 0),
          new SplittableRandom(5));
    }
    HutchinsonTrace.LayerTrace t = r.layers().get(0);
    assertEquals(3000, t.probes());
    assertEquals("max probes", r.stopReason());
    assertTrue(Math.abs(t.trace() - exact) <= 4 * t.standardError() + 5e-3 * exact,
        "estimate " + t.trace() + " +- " + t.standardError() + " vs exact " + exact);
    assertTrue(t.standardError() < 0.05 * exact, "standard error " + t.standardError() + " of " + exact);
    assertArrayEquals(before, model.parameters().get("fc.weight").value(), "weights restored bit for bit");
  }

  /**
   * A smooth net (conv, batch norm, conv, batch norm, average pool, linear; no ReLU kinks): every layer's
   * finite-difference Hutchinson trace (probes over all layers at once, so cross-layer terms add variance) agrees with the sum of the Hessian's
   * diagonal, built coordinate by coordinate from central differences of the gradient, within 4 standard errors plus
   * 2%; running statistics and weights are restored and gradients left zero.
   */
  @Test
  void hutchinsonAgreesWithCoordinateWiseTracesOfASmoothBatchNormNet() {
    GraphBuilder b = new GraphBuilder("smooth", 3, 6, 6);
    int x0 = b.batchNorm("bn1", b.conv("c1", b.input(), 4, 3, 1, 1));
    x0 = b.batchNorm("bn2", b.conv("c2", x0, 4, 3, 2, 1));
    b.linear("fc", b.globalAvgPool(x0), TinyNets.CLASSES);
    Model model = TinyNets.randomModel(b.build(), 30);
    double[][] r = exactAndEstimate(model, 16, 1e-3, 3000);
    for (int l = 0; l < r[0].length; l++) {
      assertTrue(Math.abs(r[1][l] - r[0][l]) <= 4 * r[2][l] + 0.02 * Math.abs(r[0][l]),
          "layer " + l + ": estimate " + r[1][l] + " +- " + r[2][l] + " vs exact " + r[0][l]);
    }
  }

  /** {exact traces, Hutchinson estimates, standard errors} of the counted layers, on two batches of n/2 samples. */
  private static double[][] exactAndEstimate(Model model, int n, double eps, int probes) {
    float[] x = TinyNets.input(model, n, 31);
    int[] y = TinyNets.labels(model, n, 32);
    int sample = model.graph().inputShape().size();
    int h2 = n / 2;
    List<Batch> batches = List.of(
        new Batch(java.util.Arrays.copyOf(x, h2 * sample), java.util.Arrays.copyOf(y, h2), h2, 0),
        new Batch(java.util.Arrays.copyOfRange(x, h2 * sample, n * sample), java.util.Arrays.copyOfRange(y, h2, n),
            n - h2, 1));
    LayerInventory inventory = LayerInventory.of(model.graph());
    List<String> layers = inventory.layers().stream().filter(l -> !l.projectionShortcut()).map(LayerInfo::name)
        .toList();
    Parameter firstBn = model.parameters().all().stream().filter(p -> p.name().endsWith(".running_mean"))
        .findFirst().orElseThrow();
    double[][] out = new double[3][layers.size()];
    try (CompiledNetworks nets = new CompiledNetworks(new ReferenceBackend(1), model)) {
      for (int l = 0; l < layers.size(); l++) {
        Parameter p = model.parameters().get(layers.get(l) + ".weight");
        float[] w = p.value();
        double sq = 0;
        for (float v : w) {
          sq += (double) v * v;
        }
        float h = (float) (eps * Math.sqrt(sq / w.length));
        for (int i = 0; i < w.length; i++) {
          float keep = w[i];
          w[i] = keep + h;
          float up = w[i] - keep;
          double gPlus = gradient(nets, batches, p)[i];
          w[i] = keep - h;
          float down = keep - w[i];
          double gMinus = gradient(nets, batches, p)[i];
          w[i] = keep;
          out[0][l] += (gPlus - gMinus) / ((double) up + down);
        }
      }
      float[] runningMean = firstBn.value().clone();
      float[][] weights = layers.stream().map(n2 -> model.parameters().get(n2 + ".weight").value().clone())
          .toArray(float[][]::new);
      HutchinsonTrace.Result r = HutchinsonTrace.estimate(nets, batches, layers,
          new HutchinsonTrace.Settings(HutchinsonTrace.Method.FINITE_DIFFERENCE, probes, 0, 10, eps, 0),
          new SplittableRandom(9));
      for (int l = 0; l < layers.size(); l++) {
        HutchinsonTrace.LayerTrace t = r.layers().get(l);
        out[1][l] = t.trace();
        out[2][l] = t.standardError();
        assertEquals(probes, t.runningMeans().size());
        assertArrayEquals(weights[l], model.parameters().get(layers.get(l) + ".weight").value(), "weights restored");
      }
      assertArrayEquals(runningMean, firstBn.value(), "running stats restored");
    }
    for (Parameter p : model.parameters().trainable()) {
      for (float g : p.grad()) {
        assertEquals(0f, g, p.name() + " gradient left zero");
      }
    }
    return out;
  }

  /**
   * The Gauss-Newton estimate on the tiny residual net (training-mode batch norm, ReLU and ReLU6) agrees with the
   * exact trace of every layer's Gauss-Newton block {@code sum_i (J e_i)^T H_z (J e_i)}, with the Jacobian columns
   * {@code J e_i} from central differences of the logits (forward passes only, so ReLU kinks cost O(h), not 1/h), within
   * 4 standard errors plus 2%. Each probe value is a sum of squares, so no estimate is negative.
   */
  @Test
  void gaussNewtonAgreesWithCoordinateWiseGaussNewtonTracesOfTheTinyResidualNet() {
    Model model = TinyNets.residualFloat(3);
    int n = 16;
    float[] x = TinyNets.input(model, n, 31);
    int[] y = TinyNets.labels(model, n, 32);
    int sample = model.graph().inputShape().size();
    List<Batch> batches = List.of(
        new Batch(java.util.Arrays.copyOf(x, 8 * sample), java.util.Arrays.copyOf(y, 8), 8, 0),
        new Batch(java.util.Arrays.copyOfRange(x, 8 * sample, n * sample), java.util.Arrays.copyOfRange(y, 8, n), 8, 1));
    List<String> layers = LayerInventory.of(model.graph()).layers().stream().filter(l -> !l.projectionShortcut())
        .map(LayerInfo::name).toList();
    int classes = TinyNets.CLASSES;
    try (CompiledNetworks nets = new CompiledNetworks(new ReferenceBackend(1), model)) {
      float[][] base = new float[batches.size()][];
      for (int b = 0; b < batches.size(); b++) {
        base[b] = nets.forBatchSize(8).forward(batches.get(b).images(), true).clone();
      }
      double[] exact = new double[layers.size()];
      for (int l = 0; l < layers.size(); l++) {
        float[] w = model.parameters().get(layers.get(l) + ".weight").value();
        double sq = 0;
        for (float v : w) {
          sq += (double) v * v;
        }
        float h = (float) (1e-3 * Math.sqrt(sq / w.length));
        for (int i = 0; i < w.length; i++) {
          float keep = w[i];
          for (int b = 0; b < batches.size(); b++) {
            w[i] = keep + h;
            float[] up = nets.forBatchSize(8).forward(batches.get(b).images(), true).clone();
            double step = (double) w[i] - keep;
            w[i] = keep - h;
            float[] down = nets.forBatchSize(8).forward(batches.get(b).images(), true).clone();
            step += keep - (double) w[i];
            w[i] = keep;
            for (int s2 = 0; s2 < 8; s2++) {
              double[] jv = new double[classes];
              double[] p = softmax(base[b], s2 * classes, classes);
              double mean = 0;
              for (int c = 0; c < classes; c++) {
                jv[c] = (up[s2 * classes + c] - (double) down[s2 * classes + c]) / step;
                mean += p[c] * jv[c];
              }
              for (int c = 0; c < classes; c++) {
                exact[l] += p[c] * jv[c] * jv[c] / n;
              }
              exact[l] -= mean * mean / n;
            }
          }
        }
      }
      HutchinsonTrace.Result r = HutchinsonTrace.estimate(nets, batches, layers,
          new HutchinsonTrace.Settings(HutchinsonTrace.Method.GAUSS_NEWTON, 3000, 0, 10, 1e-3, 0),
          new SplittableRandom(9));
      for (int l = 0; l < layers.size(); l++) {
        HutchinsonTrace.LayerTrace t = r.layers().get(l);
        assertTrue(t.trace() >= 0, layers.get(l) + " trace " + t.trace());
        assertTrue(Math.abs(t.trace() - exact[l]) <= 4 * t.standardError() + 0.02 * exact[l],
            layers.get(l) + ": estimate " + t.trace() + " +- " + t.standardError() + " vs exact " + exact[l]);
      }
    }
  }

  private static double[] softmax(float[] logits, int off, int classes) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      max = Math.max(max, logits[off + c]);
    }
    double sum = 0;
    double[] p = new double[classes];
    for (int c = 0; c < classes; c++) {
      p[c] = Math.exp(logits[off + c] - max);
      sum += p[c];
    }
    for (int c = 0; c < classes; c++) {
      p[c] /= sum;
    }
    return p;
  }

  /** dL/dW of {@code p} for the mean loss over the batches (training-mode batch norm, as the estimator). */
  private static float[] gradient(CompiledNetworks nets, List<Batch> batches, Parameter p) {
    Model model = nets.model();
    model.parameters().zeroGradients();
    int samples = batches.stream().mapToInt(Batch::size).sum();
    for (Batch b : batches) {
      CompiledNetwork net = nets.forBatchSize(b.size());
      float[] logits = net.forward(nets.input(b.size(), b.images()), true);
      float[] g = nets.logitsGradient(b.size());
      SoftmaxCrossEntropy.lossAndGradient(logits, b.labels(), b.size(), model.graph().numClasses(), g);
      float share = (float) b.size() / samples;
      for (int i = 0; i < g.length; i++) {
        g[i] *= share;
      }
      net.backward(g);
    }
    return p.grad().clone();
  }

  @Test
  void earlyStopHappensWhenEveryRunningMeanSettles() {
    Model model = TinyNets.residualFloat(4);
    float[] x = TinyNets.input(model, 8, 41);
    int[] y = TinyNets.labels(model, 8, 42);
    try (CompiledNetworks nets = new CompiledNetworks(new ReferenceBackend(1), model)) {
      HutchinsonTrace.Result r = HutchinsonTrace.estimate(nets, List.of(new Batch(x, y, 8, 0)), List.of("fc"),
          new HutchinsonTrace.Settings(HutchinsonTrace.Method.FINITE_DIFFERENCE, 5000, 0.05, 5, 1e-3, 0),
          new SplittableRandom(1));
      assertEquals("converged", r.stopReason());
      assertTrue(r.probes() < 5000 && r.probes() > 5, "probes " + r.probes());
    }
  }

  // ---- allocation --------------------------------------------------------------------------------------------------

  /** Brute force: every combination in lexicographic order; least sensitivity, then least cost, then first found. */
  private static Optional<int[]> bruteForce(double[][] cost, double[][] sens, double limit) {
    int layers = cost.length;
    int[] idx = new int[layers];
    int[] best = null;
    double bestS = 0;
    double bestC = 0;
    double fit = limit + Math.abs(limit) * ParetoAllocation.FIT_SLACK;
    while (true) {
      double c = 0;
      double s = 0;
      for (int l = 0; l < layers; l++) {
        c += cost[l][idx[l]];
        s += sens[l][idx[l]];
      }
      if (c <= fit && (best == null || s < bestS || (s == bestS && c < bestC))) {
        best = idx.clone();
        bestS = s;
        bestC = c;
      }
      int l = layers - 1;
      while (l >= 0 && ++idx[l] == cost[l].length) {
        idx[l] = 0;
        l--;
      }
      if (l < 0) {
        break;
      }
    }
    return Optional.ofNullable(best);
  }

  private static double[][][] randomCase(Random r, boolean integral) {
    int layers = 2 + r.nextInt(5);
    double[][] cost = new double[layers][];
    double[][] sens = new double[layers][];
    for (int l = 0; l < layers; l++) {
      int k = r.nextInt(6) == 0 ? 1 : 2 + r.nextInt(4); // some single-option layers (projection shortcuts)
      cost[l] = new double[k];
      sens[l] = new double[k];
      for (int j = 0; j < k; j++) {
        cost[l][j] = integral ? 1 + r.nextInt(4) : r.nextDouble() * 10;
        sens[l][j] = integral ? r.nextInt(4) : r.nextDouble() * (r.nextBoolean() ? 1 : 1e-3);
      }
    }
    return new double[][][] {cost, sens};
  }

  @Test
  void allocationIsOptimalOnRandomCasesByBruteForceIncludingTiesAndInfeasibleLimits() {
    Random r = new Random(2026);
    int infeasible = 0;
    int tied = 0;
    for (int trial = 0; trial < 600; trial++) {
      boolean integral = trial % 2 == 0; // small integers: many exact ties in cost and sensitivity
      double[][][] c = randomCase(r, integral);
      double[][] cost = c[0];
      double[][] sens = c[1];
      double min = 0;
      double max = 0;
      for (double[] row : cost) {
        min += java.util.Arrays.stream(row).min().getAsDouble();
        max += java.util.Arrays.stream(row).max().getAsDouble();
      }
      double limit = trial % 10 == 9 ? min * (1 - 1e-6) - 0.5 // below the cheapest: infeasible
          : integral ? Math.round(min + r.nextDouble() * (max - min)) : min + r.nextDouble() * (max - min);
      Optional<int[]> expected = bruteForce(cost, sens, limit);
      Optional<ParetoAllocation.Solution> got = ParetoAllocation.solve(cost, sens, limit);
      assertEquals(expected.isPresent(), got.isPresent(), "trial " + trial);
      if (expected.isEmpty()) {
        infeasible++;
        continue;
      }
      assertArrayEquals(expected.get(), got.get().choices(), "trial " + trial + " limit " + limit);
      double s = 0;
      double cc = 0;
      for (int l = 0; l < cost.length; l++) {
        s += sens[l][got.get().choices()[l]];
        cc += cost[l][got.get().choices()[l]];
      }
      assertEquals(s, got.get().sensitivity(), 0.0);
      assertEquals(cc, got.get().cost(), 0.0);
      if (integral && countOptima(cost, sens, limit, s) > 1) {
        tied++;
      }
    }
    assertTrue(infeasible >= 60, "infeasible cases " + infeasible);
    assertTrue(tied >= 50, "cases with tied optima " + tied);
  }

  private static int countOptima(double[][] cost, double[][] sens, double limit, double best) {
    int layers = cost.length;
    int[] idx = new int[layers];
    int count = 0;
    while (true) {
      double c = 0;
      double s = 0;
      for (int l = 0; l < layers; l++) {
        c += cost[l][idx[l]];
        s += sens[l][idx[l]];
      }
      if (c <= limit && s == best) {
        count++;
      }
      int l = layers - 1;
      while (l >= 0 && ++idx[l] == cost[l].length) {
        idx[l] = 0;
        l--;
      }
      if (l < 0) {
        return count;
      }
    }
  }

  @Test
  void allocationTieBreakIsLeastCostThenFirstOptionInLayerOrder() {
    // Both layers: sensitivity 0 at every option; the cheapest fitting choice wins, then the lexicographically first.
    double[][] cost = {{2, 1, 1}, {3, 3}};
    double[][] sens = {{0, 0, 0}, {0, 0}};
    assertArrayEquals(new int[] {1, 0}, ParetoAllocation.solve(cost, sens, 10).orElseThrow().choices());
    // (1, 0) is the least sensitive but does not fit; (0, 0) and (1, 1) tie at sensitivity 1 and cost 3: the
    // lexicographically first option indices win.
    double[][] cost2 = {{1, 2}, {2, 1}};
    double[][] sens2 = {{1, 0}, {0, 1}};
    assertArrayEquals(new int[] {0, 0}, ParetoAllocation.solve(cost2, sens2, 3).orElseThrow().choices());
    assertArrayEquals(new int[] {1, 0}, ParetoAllocation.solve(cost2, sens2, 4).orElseThrow().choices());
    assertTrue(ParetoAllocation.solve(cost2, sens2, 1.5).isEmpty(), "below the cheapest: no allocation");
  }

  // ---- the strategy ------------------------------------------------------------------------------------------------

  @Test
  void unreachableBudgetFailsNamingTheMinimumReachableCost(@TempDir Path dir) {
    ObjectNode p = JSON.createObjectNode();
    p.putObject("budget").put("ratio", 0).put("value", 1.5);
    StrategyContext ctx = withParameters(context(1, dir), p);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> strategy().check(ctx));
    assertTrue(e.getMessage().contains("minimum reachable size (bits) is 2 bits")
        && e.getMessage().contains("every counted layer at 2-bit weights"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> strategy().run(ctx));
    p.putArray("weightBitChoices").add(1).add(4);
    strategy().check(withParameters(context(1, dir), p)); // 1-bit choices make 1.5 reachable
  }

  /**
   * The scheme is the exact optimum of the sensitivities the run recorded: a brute force over all 7^6 choices of the
   * tiny net's six counted layers finds no fitting scheme with a smaller summed sensitivity.
   */
  @Test
  @SuppressWarnings("unchecked")
  void schemeIsTheBruteForceOptimumOfTheRecordedSensitivitiesAndFitsTheBudget(@TempDir Path dir) {
    StrategyContext ctx = context(3, dir);
    StrategyOutcome out = strategy().run(ctx);
    QuantizationScheme scheme = out.scheme();
    assertTrue(scheme.averageBits(ctx.layers()) <= 4.0 + 1e-12, "average bits " + scheme.averageBits(ctx.layers()));
    Map<String, Object> layers = (Map<String, Object>) out.details().get("layers");
    List<Integer> bits = List.of(2, 3, 4, 5, 6, 7, 8);
    List<double[]> cost = new ArrayList<>();
    List<double[]> sens = new ArrayList<>();
    List<Integer> chosen = new ArrayList<>();
    for (LayerInfo l : ctx.layers()) {
      if (l.projectionShortcut()) {
        assertEquals(Precision.FULL_BITS, scheme.get(l.name()).weightBits());
        cost.add(new double[] {ctx.costTarget().table().cost(l.index(), 32, 32)});
        sens.add(new double[] {0});
        chosen.add(0);
        continue;
      }
      Map<String, Object> d = (Map<String, Object>) layers.get(l.name());
      assertEquals(12, d.get("probes"));
      assertTrue((double) d.get("traceStandardError") >= 0);
      List<Double> s = (List<Double>) d.get("sensitivity");
      double[] c = new double[bits.size()];
      for (int j = 0; j < bits.size(); j++) {
        c[j] = ctx.costTarget().table().cost(l.index(), bits.get(j), 0);
      }
      cost.add(c);
      sens.add(s.stream().mapToDouble(Double::doubleValue).toArray());
      chosen.add(bits.indexOf(scheme.get(l.name()).weightBits()));
      assertEquals(scheme.get(l.name()).weightBits(), d.get("bits"));
      List<Double> err = (List<Double>) d.get("quantizationError");
      assertTrue(err.get(0) > err.get(bits.size() - 1), "2-bit error above 8-bit error: " + err);
    }
    int[] expected = bruteForce(cost.toArray(double[][]::new), sens.toArray(double[][]::new), 4.0).orElseThrow();
    assertArrayEquals(expected, chosen.stream().mapToInt(Integer::intValue).toArray());
    Map<String, Object> hessian = (Map<String, Object>) out.details().get("hessian");
    assertEquals(12, hessian.get("probes"));
    assertEquals(8, hessian.get("samples"));
  }

  @Test
  void aRatioBudgetOfOneAllowsEightBitsEverywhereAndBudgetsBelowCheapestStillWork(@TempDir Path dir) {
    ObjectNode p = JSON.createObjectNode();
    p.putObject("budget").put("ratio", 1.0);
    p.put("hutchinsonSamples", 4);
    StrategyContext ctx = withParameters(context(2, dir), p);
    QuantizationScheme s = strategy().run(ctx).scheme();
    assertTrue(s.averageBits(ctx.layers()) <= 8.0 + 1e-12);
    p.putObject("budget").put("ratio", 0).put("value", 2.0); // exactly the cheapest scheme
    StrategyContext tight = withParameters(context(2, dir), p);
    QuantizationScheme cheapest = strategy().run(tight).scheme();
    assertEquals(QuantizationScheme.uniform(tight.layers(), 2, 0), cheapest);
  }

  @Test
  void badParametersAreAllReported(@TempDir Path dir) {
    ObjectNode p = JSON.createObjectNode();
    p.putObject("budget").put("ratio", 0.5).put("value", 3);
    p.putArray("weightBitChoices").add(0).add(4);
    p.put("hutchinsonSamples", 0).put("data", "test").put("finiteDifferenceEps", 0);
    StrategyContext ctx = withParameters(context(1, dir), p);
    org.bsq.core.config.ConfigException e = assertThrows(org.bsq.core.config.ConfigException.class,
        () -> strategy().check(ctx));
    assertEquals(5, e.problems().size(), e.problems().toString());
  }
}
