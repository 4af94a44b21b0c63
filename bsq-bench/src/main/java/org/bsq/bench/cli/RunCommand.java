package org.bsq.bench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
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
import org.bsq.core.harness.Experiment;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.provenance.Provenance;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.SchemeCostModel;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyRegistry;
import org.bsq.core.train.ConsoleProgress;
import org.bsq.core.train.Initializers;
import org.bsq.data.DataLoader;
import org.bsq.data.DataSet;
import org.bsq.data.DataSets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bsq run CONFIG.yaml}: one experiment through the harness (strategy proposes, harness finetunes, evaluates,
 * prices) into {@code OUT/run.json}. Interrupted runs continue with {@code --resume OUT}.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run an experiment file: the strategy proposes a scheme, the harness finetunes, evaluates and "
        + "prices it, and writes OUT/run.json.")
final class RunCommand implements Callable<Integer> {
  static final String CONFIG_FILE = "config.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG.yaml",
      description = "Experiment file (YAML or JSON; see configs/). Optional with --resume.")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a key, e.g. --set strategy.params.alpha=0.01 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--budget-scale", defaultValue = "1", paramLabel = "F",
      description = "Multiply every epoch count (strategy, finetuning, schedules; fractions allowed). Default: ${DEFAULT-VALUE}.")
  double budgetScale;

  @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: runs/run-CONFIG-DATASET-TIME).")
  Path out;

  @Option(names = "--resume", paramLabel = "DIR", description = "Continue the interrupted run in DIR (its saved config is used).")
  Path resume;

  @Option(names = "--json", description = "Print a JSON summary as the last line of stdout (progress goes to stderr).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (!(budgetScale > 0)) {
      throw new UsageException("--budget-scale must be > 0, was " + budgetScale);
    }
    Path runDir;
    ExperimentConfig cfg;
    JsonNode resolved;
    if (resume != null) {
      Path saved = resume.resolve(CONFIG_FILE);
      if (!Files.isRegularFile(saved)) {
        throw new UsageException("--resume needs a run folder with " + CONFIG_FILE + ", was '" + resume + "'");
      }
      JsonNode savedTree = JSON.readTree(saved.toFile());
      budgetScale = savedTree.path("budgetScale").asDouble(1);
      resolved = savedTree.path("experiment");
      cfg = bind(resolved, saved.toString());
      runDir = resume;
    } else {
      if (config == null) {
        throw new UsageException("run needs CONFIG.yaml (or --resume DIR)");
      }
      try {
        cfg = ConfigBinder.load(config, overrides, ExperimentConfig.class);
      } catch (ConfigException e) {
        throw new UsageException(e.getMessage());
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
      resolved = JSON.valueToTree(cfg);
      String stem = config.getFileName().toString().replaceAll("\\.(ya?ml|json)$", "");
      runDir = out != null ? out : TrainCommand.defaultRunDir("run", stem, cfg.dataset().name());
      Map<String, Object> saved = new LinkedHashMap<>();
      saved.put("budgetScale", budgetScale);
      saved.put("experiment", resolved);
      Json.write(runDir.resolve(CONFIG_FILE), saved);
    }
    PrintWriter stdout = spec.commandLine().getOut();
    PrintStream progress = json ? System.err : System.out;
    RunRecord r = execute(cfg, resolved, budgetScale, runDir, progress, System.console() != null && !json);
    report(stdout, r);
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("strategy", r.strategy());
      o.put("top1Float", r.metrics().top1Float());
      o.put("top1BeforeFinetune", r.metrics().top1BeforeFinetune());
      o.put("top1", r.metrics().top1());
      o.put("top5", r.metrics().top5());
      o.put("avgBits", r.avgBits());
      o.put("compressionPaper", r.compression().paper());
      o.put("compressionWholeModel", r.compression().wholeModel());
      o.put("seconds", r.timings().totalSeconds());
      o.put("runJson", runDir.resolve(Harness.RUN_JSON).toString());
      stdout.println(Json.line(o));
    }
    stdout.flush();
    return 0;
  }

  /**
   * Runs one experiment through the harness (strategy, finetuning, evaluation, pricing) into {@code runDir}; used by
   * {@code bsq run} and by the demo.
   */
  static RunRecord execute(ExperimentConfig cfg, JsonNode resolved, double budgetScale, Path runDir,
                           PrintStream progress, boolean interactive) {
    StrategyRegistry registry = StrategyRegistry.discover();
    QuantizationStrategy strategy = UsageException.usage(() -> registry.get(cfg.strategy().name()));

    DataSet data = DataSets.load(cfg.dataset().name(), cfg.dataset().dataDir());
    Model model = ModelDataOptions.newModel(cfg.model().name(), data.info(), cfg.model().activation(),
        cfg.model().actBits());
    Initializers.initialize(model, cfg.seed());
    if (cfg.model().weights() != null) {
      ModelDataOptions.loadWeights(cfg.model().weights(), model);
    }
    int batch = cfg.dataset().batchSize();
    DataLoader train = DataLoader.builder(data.train(), batch).shuffle(true)
        .augmentation(cfg.dataset().augment() ? data.defaultAugmentation() : null)
        .normalization(data.normalization()).seed(cfg.seed())
        .limit(cfg.dataset().limitTrain() == 0 ? data.train().size() : cfg.dataset().limitTrain())
        .name(cfg.dataset().name() + "/train").build();
    DataLoader validation = DataLoader.builder(data.train(), batch).shuffle(false).augmentation(null)
        .normalization(data.normalization()).seed(cfg.seed())
        .limit(Math.min(data.train().size(), Math.max(batch, (cfg.dataset().limitTrain() == 0
            ? data.train().size() : cfg.dataset().limitTrain()) / 10)))
        .name(cfg.dataset().name() + "/train-subset (validation)").build();
    DataLoader test = data.testLoader(batch,
        cfg.dataset().limitTest() == 0 ? data.test().size() : cfg.dataset().limitTest());
    Backend backend = Backends.byName(cfg.backend());
    LayerInventory inventory = LayerInventory.of(model.graph());
    List<SchemeCostModel> costs = new ArrayList<>();
    costs.add(new SizeOnlyCostModel());
    for (String a : cfg.accelerators()) {
      costs.add(new AcceleratorCostModel(a));
    }
    double strategyEpochs = cfg.strategy().epochs() * budgetScale;
    ConsoleProgress bar = new ConsoleProgress(progress, interactive, 200, System::nanoTime);
    StrategyContext ctx = new StrategyContext(inventory, model, backend, train, validation, costs.get(0),
        new Budget(strategyEpochs, 0, 0), cfg.seed(), cfg.strategy().params(), runDir.resolve("strategy/work"),
        List.of(bar));
    Map<String, String> checksums = new LinkedHashMap<>();
    checksums.put(cfg.dataset().name() + "/train", data.train().checksum());
    checksums.put(cfg.dataset().name() + "/test", data.test().checksum());
    Provenance provenance = Provenance.collect(org.bsq.bench.cli.ProjectInfo.version(), backend.name(), checksums,
        Path.of("").toAbsolutePath());
    Map<String, Object> resolvedWithScale = new LinkedHashMap<>();
    resolvedWithScale.put("budgetScale", budgetScale);
    resolvedWithScale.put("experiment", resolved);
    Experiment experiment = new Experiment(cfg.strategy().name(), strategy, ctx, train, test, cfg.finetune(),
        budgetScale, JSON.valueToTree(resolvedWithScale), provenance, costs, runDir);

    progress.printf("bsq run: strategy %s on %s/%s, budget scale %s (strategy %.3g epochs, finetune %.3g epochs), "
            + "backend %s, run folder %s%n", cfg.strategy().name(), cfg.model().name(), cfg.dataset().name(),
        budgetScale, strategyEpochs, cfg.finetune().epochs() * budgetScale, backend.name(), runDir);
    return new Harness(List.of(bar)).run(experiment);
  }

  private static ExperimentConfig bind(JsonNode tree, String source) {
    try {
      return ConfigBinder.bind(tree, ExperimentConfig.class, source);
    } catch (ConfigException e) {
      throw new UsageException(e.getMessage());
    }
  }

  static void report(PrintWriter out, RunRecord r) {
    out.println();
    out.printf("Run report: strategy %s%n", r.strategy());
    out.printf("  %-24s %6s %6s %9s%n", "layer", "w bits", "a bits", "params");
    for (RunRecord.Layer l : r.scheme().layers()) {
      out.printf("  %-24s %6s %6s %9d%s%n", l.name(), l.weightBits() == 32 ? "fp32" : String.valueOf(l.weightBits()),
          l.activationBits() == 0 ? "-" : String.valueOf(l.activationBits()), l.params(), l.counted() ? "" : "  (not counted)");
    }
    out.printf("  average weight bits %.3f; compression %.2fx (paper: counted layers) / %.2fx (whole model)%n",
        r.avgBits(), r.compression().paper(), r.compression().wholeModel());
    out.printf("  test top-1: %.2f %% start (float), %.2f %% under the scheme before finetuning, %.2f %% after "
            + "finetuning (top-5 %.2f %%, %d images)%n", 100 * r.metrics().top1Float(),
        100 * r.metrics().top1BeforeFinetune(), 100 * r.metrics().top1(), 100 * r.metrics().top5(),
        r.metrics().testSamples());
    r.cost().forEach((name, c) -> {
      if (!"size".equals(name)) {
        out.printf("  %s: %.4f ms and %.4f mJ per image%n", name, c.get("latencyMsPerImage"), c.get("energyMjPerImage"));
      }
    });
    out.printf("  time: strategy %.1f s, finetuning %.1f s, evaluation %.1f s, total %.1f s%n",
        r.timings().strategySeconds(), r.timings().finetuneSeconds(), r.timings().evaluationSeconds(),
        r.timings().totalSeconds());
  }
}
