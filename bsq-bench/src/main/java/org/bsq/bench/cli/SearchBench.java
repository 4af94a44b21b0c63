package org.bsq.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bsq.core.data.BatchSource;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Backends;
import org.bsq.core.engine.Model;
import org.bsq.core.finetune.SchemeInstaller;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.json.Json;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.CandidateEvaluator;
import org.bsq.core.search.CandidateSettings;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.CostTarget;
import org.bsq.core.search.LayerCostTable;
import org.bsq.core.search.SearchLog;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.SchemeCostModel;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.train.Evaluator;
import org.bsq.core.train.Initializers;
import org.bsq.data.DataLoader;
import org.bsq.data.DataSet;
import org.bsq.data.DataSets;
import org.bsq.data.LabeledImages;
import org.bsq.hwsim.AcceleratorCostModel;

/**
 * {@code bsq bench search}: what one search candidate costs. Times (1) a candidate evaluation through the context's
 * {@link CandidateEvaluator} (install weight and activation bits, evaluate the validation images, restore; networks
 * compiled once), against the same evaluation done the plain way (a fresh model, the scheme installed, networks
 * compiled, the images read through the data loader), and (2) pricing a scheme with the objective's lookup table
 * against a full simulation of the scheme. Random mixed schemes (weights and activations 2..8 bits), medians, ratios
 * measured in the same process.
 */
final class SearchBench {
  private SearchBench() {}

  static int run(PrintWriter out, String modelName, Path dataDir, Path weights, String backendName, int batch,
                 int candidates, int samples, String accelerator, long seed, boolean json) {
    DataSet data = dataDir == null ? null : DataSets.load(DataSets.CIFAR10, dataDir);
    if (data == null) {
      throw new UsageException("bench search: needs --data-dir with CIFAR-10 (the candidates are evaluated on "
          + "held-out training images)");
    }
    Model model = ModelDataOptions.newModel(modelName, data.info(), "relu6", 4);
    Initializers.initialize(model, seed);
    if (weights != null) {
      ModelDataOptions.loadWeights(weights, model);
    }
    LabeledImages.HeldOut split = data.train().holdOut(Math.max(samples, batch), seed);
    DataLoader validation = DataLoader.builder(split.heldOut(), batch).shuffle(false).augmentation(null)
        .normalization(data.normalization()).seed(seed).name("cifar10/validation (held out)").build();
    Backend backend = Backends.byName(backendName);
    LayerInventory inventory = LayerInventory.of(model.graph());
    AcceleratorCostModel acc = new AcceleratorCostModel(accelerator);
    List<SchemeCostModel> models = List.of(new SizeOnlyCostModel(), acc);
    CostTarget target = new CostTarget(models, accelerator, CostMetric.LATENCY, inventory);
    Budget budget = new Budget(0, 0, 0);
    StrategyContext ctx = new StrategyContext(inventory, model, backend, validation, validation,
        models.get(0), budget, seed, null, Path.of("."), List.of(), target, new SearchLog(budget, List.of()));
    List<QuantizationScheme> schemes = randomSchemes(inventory, candidates, seed);

    double[] evaluator = new double[candidates];
    double[] plain = new double[candidates];
    double[] evaluatorTop1 = new double[candidates];
    double[] plainTop1 = new double[candidates];
    long t0 = System.nanoTime();
    double openSeconds;
    try (CandidateEvaluator ev = ctx.candidates(CandidateSettings.onSamples(samples))) {
      openSeconds = (System.nanoTime() - t0) / 1e9;
      ev.evaluate(schemes.get(0)); // warm-up: compiles the networks
      for (int i = 0; i < candidates; i++) {
        long s = System.nanoTime();
        evaluatorTop1[i] = ev.evaluate(schemes.get(i)).top1();
        evaluator[i] = (System.nanoTime() - s) / 1e9;
      }
    }
    BatchSource plainSource = org.bsq.core.data.FractionalEpochs.limitBatches(validation,
        Math.min(validation.batchesPerEpoch(), (samples + batch - 1) / batch));
    for (int i = 0; i < candidates; i++) {
      long s = System.nanoTime();
      Model fresh = ModelDataOptions.newModel(modelName, data.info(), "relu6", 4);
      fresh.parameters().all().forEach(p -> System.arraycopy(model.parameters().get(p.name()).value(), 0, p.value(), 0,
          p.size()));
      SchemeInstaller.install(fresh, schemes.get(i));
      acc.price(schemes.get(i), inventory);
      plainTop1[i] = Evaluator.evaluate(backend, fresh, plainSource).top1();
      plain[i] = (System.nanoTime() - s) / 1e9;
    }

    LayerCostTable table = target.table();
    int pricings = 20_000;
    double sink = 0;
    for (QuantizationScheme s : schemes) {
      sink += table.total(s, inventory); // fills the memo
    }
    long p0 = System.nanoTime();
    for (int i = 0; i < pricings; i++) {
      sink += table.total(schemes.get(i % schemes.size()), inventory);
    }
    double tableMicros = (System.nanoTime() - p0) / 1e3 / pricings;
    double[] fullMillis = new double[Math.min(candidates, 10)];
    for (int i = 0; i < fullMillis.length; i++) {
      AcceleratorCostModel cold = new AcceleratorCostModel(accelerator); // no simulator cache
      long s = System.nanoTime();
      sink += cold.price(schemes.get(i), inventory).get(CostMetric.LATENCY.key());
      fullMillis[i] = (System.nanoTime() - s) / 1e6;
    }
    double evMedian = BenchCommand.median(evaluator);
    double plainMedian = BenchCommand.median(plain);
    double fullMedian = BenchCommand.median(fullMillis);
    out.printf("bench search: %s, %d validation images, batch %d, backend %s, %d random schemes (w/a 2..8 bits), "
        + "objective latency on %s%n", modelName, samples, batch, Backends.describe(backend), candidates, accelerator);
    out.printf("  candidate evaluator: median %.3f s per candidate (opening it: %.2f s, once per search)%n", evMedian,
        openSeconds);
    out.printf("  plain way (fresh model, install, compile, evaluate through the loader, full pricing): median %.3f s"
        + " = %.2fx the evaluator%n", plainMedian, plainMedian / evMedian);
    out.printf("  pricing: lookup table %.2f us per scheme, full simulation (cold) median %.1f ms = %.0fx%n",
        tableMicros, fullMedian, fullMedian * 1e3 / tableMicros);
    out.printf("  300 candidates (a HAQ search's evaluations) at this rate: %.1f min%n", 300 * evMedian / 60);
    boolean same = java.util.Arrays.equals(evaluatorTop1, plainTop1);
    out.printf("  the evaluator's accuracies equal the plain way's: %s%n", same);
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("bench", "search");
      o.put("model", modelName);
      o.put("samples", samples);
      o.put("batch", batch);
      o.put("backend", backend.name());
      o.put("cpuIsa", org.bsq.core.provenance.Provenance.cpuIsa(backend.name()));
      o.put("cpu", org.bsq.core.provenance.Provenance.cpuModel());
      o.put("candidateSecondsMedian", evMedian);
      o.put("candidateSeconds", evaluator);
      o.put("plainSecondsMedian", plainMedian);
      o.put("plainOverEvaluator", plainMedian / evMedian);
      o.put("tableMicrosPerScheme", tableMicros);
      o.put("fullSimulationMillisMedian", fullMedian);
      o.put("sameAccuracies", same);
      o.put("checksum", sink);
      out.println(Json.line(o));
    }
    out.flush();
    return same ? 0 : 1;
  }

  static List<QuantizationScheme> randomSchemes(LayerInventory inventory, int count, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<QuantizationScheme> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      List<LayerPrecision> layers = new ArrayList<>();
      for (LayerInfo l : inventory) {
        layers.add(l.projectionShortcut() ? LayerPrecision.full(l.name())
            : LayerPrecision.of(l.name(), r.nextInt(2, 9), r.nextInt(2, 9)));
      }
      out.add(new QuantizationScheme(layers));
    }
    return out;
  }
}
