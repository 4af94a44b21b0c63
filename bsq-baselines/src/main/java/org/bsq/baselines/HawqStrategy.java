package org.bsq.baselines;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.bsq.core.config.Validated;
import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;
import org.bsq.core.data.BatchSource;
import org.bsq.core.finetune.FixedPrecisionWeightSource;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.param.ParameterStore;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.Precision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.CostBudget;
import org.bsq.core.search.CostTarget;
import org.bsq.core.search.LayerCostTable;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyOutcome;
import org.bsq.core.train.CompiledNetworks;

/**
 * HAWQ (Dong et al., HAWQ / HAWQ-V2 / HAWQ-V3): Hessian-aware mixed precision. The scheme is chosen from second-order
 * sensitivities of the pretrained float model, without training:
 *
 * <ol>
 *   <li>the trace of each counted layer's Hessian block, {@code Tr(H_l)}, of the mean softmax cross-entropy over a few
 *       fixed batches, by Hutchinson's estimator with Rademacher probes: by default on the generalized Gauss-Newton
 *       block (equal to the autodiff Hessian block of a ReLU network with eval-mode batch norm; one backward pass per
 *       probe, no finite differences), optionally with Hessian-vector products by central finite differences of
 *       gradients ({@link HutchinsonTrace} documents both, their errors and the batch-norm mode);</li>
 *   <li>the sensitivity of layer {@code l} at {@code b} bits, {@code Omega_l(b) = Tr(H_l) / n_l * ||Q_b(W_l) - W_l||^2}
 *       (HAWQ-V2's average-trace criterion) with {@code Q_b} the project's weight quantizer
 *       ({@link FixedPrecisionWeightSource}: {@code s = max|W|}, {@code L = 2^b - 1} levels, round half to even); a
 *       negative trace estimate (noise, or a saddle) counts as zero curvature;</li>
 *   <li>the bits minimizing {@code sum_l Omega_l(b_l)} subject to the run's objective cost
 *       ({@link StrategyContext#costTarget()}, its additive {@link LayerCostTable}) staying within the budget, solved
 *       exactly by Pareto-front merging ({@link ParetoAllocation}; HAWQ-V3 uses an integer linear program for the same
 *       problem). Projection shortcuts stay at full precision; their cost is a constant of every scheme.</li>
 * </ol>
 *
 * The harness then finetunes the scheme as for every other strategy. The run record's {@code strategyDetails} hold the
 * per-layer traces with standard errors, probe counts and convergence trajectories, the sensitivity table, the chosen
 * bits and the cost against the limit.
 */
public final class HawqStrategy implements QuantizationStrategy {
  /** Registered name. */
  public static final String NAME = "hawq";

  @Override
  public String summary() {
    return "per-layer Hessian traces (Hutchinson) weigh quantization errors; exact allocation under the cost budget";
  }

  @Override
  public String paper() {
    return "Dong et al., \"HAWQ: Hessian AWare Quantization of Neural Networks with Mixed-Precision\", ICCV 2019 "
        + "(and HAWQ-V2, NeurIPS 2020; HAWQ-V3, ICML 2021)";
  }

  /** Most points of a layer's convergence trajectory written to the run record (the last probe always is). */
  static final int TRAJECTORY_POINTS = 50;

  /**
   * Parameters.
   *
   * @param budget the cost budget on the run's objective: {@code {ratio: r}} (of the w8/a8 cost) or
   *     {@code {value: v}} (in the objective's unit)
   * @param weightBitChoices the weight bits a counted layer may get (each in [1, 16])
   * @param activationBits input activation bits of every counted layer (0 = keep the model's own; docs/algorithm.md
   *     section 4.1)
   * @param hutchinsonSamples the most Rademacher probes (default 100, PyHessian's; on ResNet-20 with two batches of 128
   *     91 probes converged in 44.9 s on a 2-core AMD EPYC, docs/strategies/hawq.md)
   * @param tolerance early stop: every layer's running mean moved by at most this fraction over each of the last
   *     {@code toleranceWindow} probes (0 = always run {@code hutchinsonSamples} probes)
   * @param toleranceWindow how many recent probes the tolerance looks back over
   * @param batches how many fixed batches (the first of epoch 0 of {@code data}) the Hessian's loss averages over
   * @param data {@code train} (the training split, augmented as the run's training) or {@code validation}
   * @param hessian how each probe's quadratic form is computed: {@code gauss-newton} (output-space probes of the
   *     generalized Gauss-Newton block, no finite differences) or {@code finite-difference} (weight-space probes,
   *     central differences of gradients; smooth networks only), see {@link HutchinsonTrace}
   * @param finiteDifferenceEps the finite-difference step relative to each layer's rms weight ({@code
   *     finite-difference} only)
   */
  public record Parameters(CostBudget budget, List<Integer> weightBitChoices, int activationBits,
                           int hutchinsonSamples, double tolerance, int toleranceWindow, int batches, String data,
                           String hessian, double finiteDifferenceEps) implements Validated {
    static Parameters defaults() {
      return new Parameters(CostBudget.defaults(), List.of(2, 3, 4, 5, 6, 7, 8), 0, 100, 1e-2, 10, 2, "train",
          HutchinsonTrace.Method.GAUSS_NEWTON.label(), 1e-3);
    }

    @Override
    public void validate(List<String> problems) {
      if (budget == null) {
        problems.add("budget: must be given, e.g. {ratio: 0.5} or {value: 3.0}");
      }
      if (weightBitChoices == null || weightBitChoices.isEmpty()) {
        problems.add("weightBitChoices: must list at least one bit-width, was " + weightBitChoices);
      } else if (weightBitChoices.stream().anyMatch(b -> b == null || b < 1 || b > Precision.MAX_QUANTIZED_BITS)) {
        problems.add("weightBitChoices: every bit-width must be in [1, " + Precision.MAX_QUANTIZED_BITS + "], was "
            + weightBitChoices);
      } else if (new TreeSet<>(weightBitChoices).size() != weightBitChoices.size()) {
        problems.add("weightBitChoices: must not repeat a bit-width, was " + weightBitChoices);
      }
      if (activationBits < 0 || activationBits > Precision.MAX_QUANTIZED_BITS) {
        problems.add("activationBits: must be in [0, 16], was " + activationBits);
      }
      if (hutchinsonSamples < 1) {
        problems.add("hutchinsonSamples: must be >= 1, was " + hutchinsonSamples);
      }
      if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
        problems.add("tolerance: must be finite and >= 0, was " + tolerance);
      }
      if (toleranceWindow < 1) {
        problems.add("toleranceWindow: must be >= 1, was " + toleranceWindow);
      }
      if (batches < 1) {
        problems.add("batches: must be >= 1, was " + batches);
      }
      if (!"train".equals(data) && !"validation".equals(data)) {
        problems.add("data: must be 'train' or 'validation', was '" + data + "'");
      }
      if (!HutchinsonTrace.Method.labels().contains(hessian)) {
        problems.add("hessian: must be one of " + HutchinsonTrace.Method.labels() + ", was '" + hessian + "'");
      }
      if (!(finiteDifferenceEps > 0) || !(finiteDifferenceEps <= 0.1)) {
        problems.add("finiteDifferenceEps: must be in (0, 0.1], was " + finiteDifferenceEps);
      }
    }

    /** The bit choices in ascending order. */
    List<Integer> sortedBits() {
      return List.copyOf(new TreeSet<>(weightBitChoices));
    }
  }

  @Override
  public Class<Parameters> parametersType() {
    return Parameters.class;
  }

  /** Fails, before any work, when the budget is below the cost of every counted layer at the smallest bit choice. */
  @Override
  public void check(StrategyContext context) {
    limit(context, context.parameters(Parameters.class));
  }

  private static double limit(StrategyContext context, Parameters p) {
    int min = p.sortedBits().get(0);
    return p.budget().checkedLimit(context.costTarget(), context.layers(),
        QuantizationScheme.uniform(context.layers(), min, p.activationBits()),
        "every counted layer at " + min + "-bit weights");
  }

  @Override
  public StrategyOutcome run(StrategyContext context) {
    Parameters p = context.parameters(Parameters.class);
    double limit = limit(context, p);
    LayerInventory inventory = context.layers();
    List<LayerInfo> counted = inventory.layers().stream().filter(l -> !l.projectionShortcut()).toList();
    List<Integer> bits = p.sortedBits();

    List<Batch> batches = fixedBatches("validation".equals(p.data()) ? context.validation() : context.train(),
        p.batches());
    HutchinsonTrace.Result traces;
    try (CompiledNetworks nets = new CompiledNetworks(context.backend(), context.model())) {
      traces = HutchinsonTrace.estimate(nets, batches, counted.stream().map(LayerInfo::name).toList(),
          new HutchinsonTrace.Settings(HutchinsonTrace.Method.of(p.hessian()), p.hutchinsonSamples(), p.tolerance(), p.toleranceWindow(),
              p.finiteDifferenceEps(), context.budget().seconds()), context.random());
    }

    long allocStart = System.nanoTime();
    CostTarget target = context.costTarget();
    LayerCostTable table = target.table();
    int n = inventory.size();
    double[][] cost = new double[n][];
    double[][] omega = new double[n][];
    Map<String, Object> layerDetails = new LinkedHashMap<>();
    int c = 0;
    for (LayerInfo l : inventory) {
      if (l.projectionShortcut()) {
        cost[l.index()] = new double[] {table.cost(l.index(), Precision.FULL_BITS, Precision.FULL_BITS)};
        omega[l.index()] = new double[] {0};
        continue;
      }
      HutchinsonTrace.LayerTrace t = traces.layers().get(c++);
      if (!Double.isFinite(t.trace())) {
        throw new IllegalStateException("Hessian trace estimate of layer '" + l.name() + "' must be finite, was "
            + t.trace());
      }
      float[] w = context.model().parameters().get(l.name() + ".weight").value();
      double curvature = Math.max(0, t.trace()) / w.length;
      cost[l.index()] = new double[bits.size()];
      omega[l.index()] = new double[bits.size()];
      List<Double> errors = new ArrayList<>();
      List<Double> sensitivities = new ArrayList<>();
      for (int j = 0; j < bits.size(); j++) {
        double e = quantizationError(l, w, bits.get(j));
        cost[l.index()][j] = table.cost(l.index(), bits.get(j), p.activationBits());
        omega[l.index()][j] = curvature * e;
        errors.add(e);
        sensitivities.add(omega[l.index()][j]);
      }
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("weights", t.weights());
      d.put("trace", t.trace());
      d.put("traceStandardError", t.standardError());
      d.put("averageTrace", t.trace() / t.weights());
      d.put("probes", t.probes());
      d.put("trajectory", thin(t.runningMeans()));
      d.put("quantizationError", errors);
      d.put("sensitivity", sensitivities);
      layerDetails.put(l.name(), d);
    }
    ParetoAllocation.Solution solution = ParetoAllocation.solve(cost, omega, limit).orElseThrow(
        () -> new IllegalStateException("no bit allocation fits the cost limit " + limit + " although the cheapest "
            + "scheme passed the budget check (a cost table inconsistent with the objective's pricing?)"));
    double allocSeconds = (System.nanoTime() - allocStart) / 1e9;

    List<LayerPrecision> scheme = new ArrayList<>();
    for (LayerInfo l : inventory) {
      if (l.projectionShortcut()) {
        scheme.add(LayerPrecision.full(l.name()));
      } else {
        int b = bits.get(solution.choices()[l.index()]);
        scheme.add(LayerPrecision.of(l.name(), b, p.activationBits()));
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) layerDetails.get(l.name());
        d.put("bits", b);
      }
    }
    QuantizationScheme result = new QuantizationScheme(scheme);
    result.checkAgainst(inventory);

    Map<String, Object> hessian = new LinkedHashMap<>();
    hessian.put("method", p.hessian());
    hessian.put("estimator", HutchinsonTrace.Method.of(p.hessian()) == HutchinsonTrace.Method.GAUSS_NEWTON
        ? "hutchinson, rademacher probes over (sample, class) of the generalized Gauss-Newton block J_l^T H_z J_l"
        : "hutchinson, rademacher probes over the weights, central finite-difference Hessian-vector products");
    boolean batchNorm = context.model().graph().ops().stream()
        .anyMatch(op -> op instanceof org.bsq.core.graph.Op.BatchNorm);
    hessian.put("batchNorm", batchNorm ? "batch statistics (training mode)" : "none in the model");
    hessian.put("data", p.data());
    hessian.put("batches", batches.size());
    hessian.put("samples", traces.samples());
    hessian.put("probes", traces.probes());
    hessian.put("stopReason", traces.stopReason());
    if (HutchinsonTrace.Method.of(p.hessian()) == HutchinsonTrace.Method.FINITE_DIFFERENCE) {
      hessian.put("finiteDifferenceEps", p.finiteDifferenceEps());
    }
    hessian.put("seconds", traces.seconds());
    Map<String, Object> allocation = new LinkedHashMap<>();
    allocation.put("objective", target.describe());
    allocation.put("limit", limit);
    allocation.put("cost", solution.cost());
    allocation.put("sensitivity", solution.sensitivity());
    allocation.put("weightBitChoices", bits);
    allocation.put("method", "exact Pareto-front merge");
    allocation.put("largestFront", solution.largestFront());
    allocation.put("seconds", allocSeconds);
    return new StrategyOutcome(result, List.of(), Map.of("hessian", hessian, "allocation", allocation, "layers",
        layerDetails));
  }

  /**
   * {@code ||Q_b(W) - W||^2} with the project's quantizer ({@link FixedPrecisionWeightSource} over {@code s = max|W|}),
   * in double.
   */
  static double quantizationError(LayerInfo layer, float[] w, int bits) {
    ParameterStore store = new ParameterStore();
    float[] scale = new float[1];
    float[] u = FixedPrecisionWeightSource.normalize(w, scale);
    int[] shape = layer.weightShape().stream().mapToInt(Integer::intValue).toArray();
    FixedPrecisionWeightSource.install(store, layer.name(), shape, u, scale[0]);
    float[] q = new float[w.length];
    new FixedPrecisionWeightSource(store, layer.name(), bits).weights(q);
    double sum = 0;
    for (int i = 0; i < w.length; i++) {
      double d = (double) q[i] - w[i];
      sum += d * d;
    }
    return sum;
  }

  /** The first {@code count} batches of epoch 0 of {@code source}, copied (fewer when it has fewer). */
  static List<Batch> fixedBatches(BatchSource source, int count) {
    List<Batch> out = new ArrayList<>();
    int sample = source.channels() * source.height() * source.width();
    try (BatchIterator it = source.epoch(0)) {
      while (out.size() < count && it.hasNext()) {
        Batch b = it.next();
        float[] images = java.util.Arrays.copyOf(b.images(), b.size() * sample);
        int[] labels = java.util.Arrays.copyOf(b.labels(), b.size());
        out.add(new Batch(images, labels, b.size(), out.size()));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("the Hessian's data split (" + source.description() + ") must have samples");
    }
    return out;
  }

  /** At most {@link #TRAJECTORY_POINTS} running means, evenly spaced, always with the last one. */
  static List<Map<String, Object>> thin(List<Double> means) {
    int step = Math.max(1, (means.size() + TRAJECTORY_POINTS - 1) / TRAJECTORY_POINTS);
    List<Map<String, Object>> out = new ArrayList<>();
    for (int k = step; k <= means.size(); k += step) {
      out.add(Map.of("probes", k, "mean", means.get(k - 1)));
    }
    if (means.size() % step != 0) {
      out.add(Map.of("probes", means.size(), "mean", means.get(means.size() - 1)));
    }
    return out;
  }
}
