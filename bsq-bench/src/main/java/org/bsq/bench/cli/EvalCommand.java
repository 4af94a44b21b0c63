package org.bsq.bench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.core.config.ConfigBinder;
import org.bsq.core.config.ConfigException;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Backends;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.train.Checkpoint;
import org.bsq.core.train.EvaluationResult;
import org.bsq.core.train.Evaluator;
import org.bsq.data.DataLoader;
import org.bsq.data.DataSet;
import org.bsq.data.DataSets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bsq eval}: evaluates a model on a data set's test split: saved float weights, the same weights quantized
 * after training to a scheme ({@code --scheme}) or to uniform bits ({@code --weight-bits}), or the finished model of a
 * {@code bsq run} folder under its scheme ({@code --run}).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Evaluate on the test split (top-1, top-5, loss): float weights (--model, --dataset, --weights), "
        + "the same weights quantized after training (--scheme FILE or --weight-bits K), or the final model of a "
        + "run folder under its scheme (--run DIR, which takes everything else from the run)."})
final class EvalCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ModelDataOptions common = new ModelDataOptions();

  @Option(names = "--weights", paramLabel = "DIR|FILE",
      description = "Weights folder (e.g. ../shared/data/pretrained/resnet20-cifar10-fp32, or OUT/weights of bsq train) "
          + "or a PyTorch checkpoint file (.pth, .pth.tar; its state dict, 'module.' prefix stripped).")
  Path weights;

  @Option(names = "--run", paramLabel = "DIR",
      description = "A finished bsq run folder: evaluates its final model (DIR/model) under its scheme, on its data "
          + "set, test limit and batch size, and compares with its run.json.")
  Path run;

  @Option(names = "--scheme", paramLabel = "FILE",
      description = "Quantize the weights after training to this scheme: a run.json, or a JSON file with "
          + "{\"layers\": [{\"name\", \"weightBits\", \"activationBits\"}, ...]} as run.json's scheme.")
  Path scheme;

  @Option(names = "--weight-bits", paramLabel = "K",
      description = "Quantize the weights after training to K bits in every counted layer (projection shortcuts "
          + "stay at full precision).")
  Integer weightBits;

  @Option(names = "--batch-size", paramLabel = "B",
      description = "Evaluation batch size (default: 128, or the run's). Quantized activations depend on it.")
  Integer batchSize;

  @Option(names = "--limit", paramLabel = "N",
      description = "Evaluate only the first N test images (default: all, or the run's limit).")
  Integer limit;

  @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
  boolean json;

  @Override
  public Integer call() {
    if (batchSize != null && batchSize < 1) {
      throw new UsageException("--batch-size must be >= 1, was " + batchSize);
    }
    if (limit != null && limit < 0) {
      throw new UsageException("--limit must be >= 0 (0 = whole test split), was " + limit);
    }
    return run != null ? evaluateRun() : evaluateWeights();
  }

  private int evaluateWeights() {
    common.validate();
    if (weights == null) {
      throw new UsageException("eval needs --weights DIR|FILE (or --run DIR)");
    }
    if (!Files.isDirectory(weights) && !Files.isRegularFile(weights)) {
      throw new UsageException("--weights must be a weights folder or a PyTorch checkpoint file, was '" + weights
          + "'");
    }
    if (scheme != null && weightBits != null) {
      throw new UsageException("--scheme and --weight-bits each give the scheme: use one, was both");
    }
    if (weightBits != null && (weightBits < 1 || weightBits > 16)) {
      throw new UsageException("--weight-bits must be in [1, 16], was " + weightBits);
    }
    if (scheme != null && !Files.isRegularFile(scheme)) {
      throw new UsageException("--scheme must be a JSON file, was '" + scheme + "'");
    }
    DataSet data = common.loadData();
    Model model = common.newModel(data.info());
    ModelDataOptions.loadWeights(weights, model);
    LayerInventory inventory = LayerInventory.of(model.graph());
    QuantizationScheme q = null;
    if (weightBits != null) {
      q = QuantizationScheme.uniform(inventory, weightBits, common.actBits);
    } else if (scheme != null) {
      q = readScheme(scheme);
      QuantizationScheme check = q;
      UsageException.usage(() -> {
        check.checkAgainst(inventory);
        return null;
      });
    }
    if (q != null) {
      Harness.installFixedScheme(model, q);
    }
    Backend backend = common.backend();
    int b = batchSize == null ? 128 : batchSize;
    int n = limit == null || limit == 0 ? data.test().size() : Math.min(limit, data.test().size());
    EvaluationResult r = Evaluator.evaluate(backend, model, data.testLoader(b, n));
    String what = q == null ? "float weights" : String.format("weights quantized after training to %s (average %.3f "
        + "bits)", weightBits != null ? weightBits + " bits" : scheme.toString(), q.averageBits(inventory));
    PrintWriter out = spec.commandLine().getOut();
    out.printf("%s on %s test, %s (%d images, batch %d, %s, backend %s): top-1 %.2f %%, top-5 %.2f %%, loss %.4f, "
            + "%.1f s%n", common.model, common.dataset, what, r.samples(), b,
        common.actBits > 0 ? common.actBits + "-bit activations" : common.activation, backend.name(), 100 * r.top1(),
        100 * r.top5(), r.loss(), r.seconds());
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("model", common.model);
      o.put("dataset", common.dataset);
      o.put("weights", weights.toString());
      o.put("activation", common.activation);
      o.put("actBits", common.actBits);
      o.put("batchSize", b);
      o.put("backend", backend.name());
      if (q != null) {
        o.put("scheme", weightBits != null ? "uniform " + weightBits + " bits" : scheme.toString());
        o.put("avgBits", q.averageBits(inventory));
      }
      putResult(o, r);
      out.println(Json.line(o));
    }
    out.flush();
    return 0;
  }

  private int evaluateRun() {
    List<String> conflicting = new ArrayList<>();
    for (String name : new String[] {"--model", "--dataset", "--data-dir", "--activation", "--act-bits", "--weights",
        "--scheme", "--weight-bits", "--download", "--download-from"}) {
      if (spec.commandLine().getParseResult().hasMatchedOption(name)) {
        conflicting.add(name);
      }
    }
    if (!conflicting.isEmpty()) {
      throw new UsageException("--run DIR takes the model, data, weights and scheme from the run, was also given "
          + String.join(", ", conflicting));
    }
    Path recordFile = run.resolve(Harness.RUN_JSON);
    Path modelDir = run.resolve(Harness.MODEL_DIR);
    if (!Files.isRegularFile(recordFile)) {
      throw new UsageException("--run needs a finished run folder with " + Harness.RUN_JSON + ", was '" + run + "'");
    }
    RunRecord record = UsageException.usage(() -> Harness.readFinishedRecord(recordFile));
    if (!Checkpoint.exists(modelDir)) {
      throw new UsageException("--run needs the run's final model in " + modelDir + " (written by runs of this "
          + "version; rerun older runs to get it)");
    }
    JsonNode experiment = record.config().path("experiment");
    ExperimentConfig cfg;
    try {
      cfg = ConfigBinder.bind(experiment, ExperimentConfig.class, recordFile + " (config.experiment)");
    } catch (ConfigException e) {
      throw new UsageException(e.getMessage());
    }
    DataSet data = UsageException.usage(() -> DataSets.load(cfg.dataset().name(), cfg.dataset().dataDir()));
    Model model = ModelDataOptions.newModel(cfg.model().name(), data.info(), cfg.model().activation(),
        cfg.model().actBits());
    QuantizationScheme q = record.scheme().toQuantizationScheme();
    Harness.installFixedScheme(model, q);
    UsageException.usage(() -> {
      Checkpoint.read(modelDir).restoreParameters(model.parameters());
      return null;
    });
    Backend backend = common.backend == null || common.backend.equals("auto") ? Backends.byName(cfg.backend())
        : common.backend();
    int b = batchSize == null ? cfg.dataset().batchSize() : batchSize;
    int runLimit = cfg.dataset().limitTest() == 0 ? data.test().size() : cfg.dataset().limitTest();
    int n = limit == null ? runLimit : limit == 0 ? data.test().size() : Math.min(limit, data.test().size());
    DataLoader test = data.testLoader(b, n);
    EvaluationResult r = Evaluator.evaluate(backend, model, test);
    PrintWriter out = spec.commandLine().getOut();
    out.printf("run %s (strategy %s, %s on %s, average %.3f weight bits) on %d test images, batch %d, backend %s: "
            + "top-1 %.2f %%, top-5 %.2f %%, loss %.4f, %.1f s (run.json: top-1 %.2f %% on %d images)%n", run,
        record.strategy(), cfg.model().name(), cfg.dataset().name(), record.avgBits(), r.samples(), b, backend.name(),
        100 * r.top1(), 100 * r.top5(), r.loss(), r.seconds(), 100 * record.metrics().top1(),
        record.metrics().testSamples());
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("run", run.toString());
      o.put("strategy", record.strategy());
      o.put("model", cfg.model().name());
      o.put("dataset", cfg.dataset().name());
      o.put("avgBits", record.avgBits());
      o.put("batchSize", b);
      o.put("backend", backend.name());
      putResult(o, r);
      o.put("recordedTop1", record.metrics().top1());
      o.put("recordedSamples", record.metrics().testSamples());
      out.println(Json.line(o));
    }
    out.flush();
    return 0;
  }

  private static void putResult(Map<String, Object> o, EvaluationResult r) {
    o.put("top1", r.top1());
    o.put("top5", r.top5());
    o.put("loss", r.loss());
    o.put("samples", r.samples());
    o.put("seconds", r.seconds());
  }

  /** A scheme from a run.json (a finished run's) or a JSON file holding {@code layers} as run.json's scheme does. */
  static QuantizationScheme readScheme(Path file) {
    JsonNode tree = UsageException.usage(() -> Json.readTree(file));
    if (tree.has("formatVersion") && tree.has("scheme")) {
      return UsageException.usage(() -> Harness.readFinishedRecord(file)).scheme().toQuantizationScheme();
    }
    JsonNode layers = tree.has("scheme") ? tree.path("scheme") : tree;
    if (!layers.path("layers").isArray()) {
      throw new UsageException("--scheme file " + file + " must be a run.json or hold \"layers\": [{\"name\", "
          + "\"weightBits\", \"activationBits\"}, ...], was neither");
    }
    try {
      return Json.files().treeToValue(layers, RunRecord.Scheme.class).toQuantizationScheme();
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      throw new UsageException("--scheme file " + file + " has a bad layer list: " + e.getMessage());
    }
  }
}
