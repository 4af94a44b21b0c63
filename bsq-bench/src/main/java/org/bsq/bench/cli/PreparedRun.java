package org.bsq.bench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.config.ConfigDocument;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Backends;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.harness.Experiment;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.provenance.Digests;
import org.bsq.core.provenance.Provenance;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.CostTarget;
import org.bsq.core.search.SearchLog;
import org.bsq.core.search.SearchProgress;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.SchemeCostModel;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.train.ConsoleProgress;
import org.bsq.core.train.Initializers;
import org.bsq.data.DataLoader;
import org.bsq.data.DataSet;
import org.bsq.data.DataSets;
import org.bsq.data.LabeledImages;
import org.bsq.hwsim.AcceleratorCostModel;
import org.bsq.models.PretrainedWeights;

/**
 * An experiment checked and loaded, before anything is written: the configuration and the strategy's parameters are
 * bound (every problem reported at once, with its key, line and column), the strategy exists, the data are read, the
 * model is built and its starting weights loaded. Only then does {@link #runIn} touch a run folder: it checks that
 * the folder can take this run (see {@link RunFolder}), takes the folder's lock, and runs the harness.
 */
final class PreparedRun {
  /** The identity's input name of the starting weights (the others are the data splits). */
  private static final String WEIGHTS_INPUT = "weights";

  private final ExperimentConfig config;
  private final QuantizationStrategy strategy;
  private final JsonNode resolved;
  private final double budgetScale;
  private final DataSet data;
  private final LabeledImages.HeldOut heldOut;
  private final Model model;
  private final RunFolder.Identity identity;

  private PreparedRun(ExperimentConfig config, QuantizationStrategy strategy, JsonNode resolved, double budgetScale,
                      DataSet data, LabeledImages.HeldOut heldOut, Model model, RunFolder.Identity identity) {
    this.config = config;
    this.strategy = strategy;
    this.resolved = resolved;
    this.budgetScale = budgetScale;
    this.data = data;
    this.heldOut = heldOut;
    this.model = model;
    this.identity = identity;
  }

  /** Binds and loads an experiment document at a budget scale; every error is a usage error. */
  static PreparedRun of(ConfigDocument doc, double budgetScale) {
    BoundExperiment bound = BoundExperiment.bind(doc, budgetScale);
    return load(bound.config(), bound.strategy(), bound.resolved(), budgetScale);
  }

  /** The experiment a run folder is bound to (for {@code --resume}). */
  static PreparedRun ofFolder(RunFolder folder) {
    RunFolder.Identity id = UsageException.usage(folder::identity);
    JsonNode saved = id.config();
    double scale = saved.path("budgetScale").asDouble(Double.NaN);
    String source = folder.dir().resolve(RunFolder.CONFIG_FILE).toString();
    if (!saved.path("experiment").isObject() || !(scale > 0)) {
      throw new UsageException(source + " must hold the run's configuration (config.budgetScale and "
          + "config.experiment), was not a run folder's config.json");
    }
    ConfigDocument doc = ConfigDocument.of((ObjectNode) saved.path("experiment"), source, folder.dir());
    PreparedRun run = of(doc, scale);
    if (!run.identity.configHash().equals(id.configHash())) {
      // The saved configuration binds to another one today (e.g. a new default): refuse rather than mix.
      throw new UsageException("run folder " + folder.dir() + " was started by another version of this program: its "
          + "configuration now resolves differently (" + String.join("; ",
              RunFolder.differences(id.config(), run.identity.config())) + "); rerun it into a new --out folder");
    }
    return run;
  }

  /** A budget scale multiplies epoch counts: it must be finite and > 0 ({@code option} names it in the error). */
  static void checkBudgetScale(String option, double budgetScale) {
    if (!(budgetScale > 0) || Double.isInfinite(budgetScale)) {
      throw new UsageException(option + " must be a finite number > 0, was " + budgetScale);
    }
  }

  private static PreparedRun load(ExperimentConfig cfg, QuantizationStrategy strategy, ObjectNode resolved,
                                  double budgetScale) {
    DataSet data = UsageException.usage(() ->
        DataSets.load(cfg.dataset().name(), cfg.dataset().dataDir(), cfg.dataset().download()));
    Model model = ModelDataOptions.newModel(cfg.model().name(), data.info(), cfg.model().activation(),
        cfg.model().actBits());
    Initializers.initialize(model, cfg.seed());
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put(cfg.dataset().name() + "/train", data.train().checksum());
    inputs.put(cfg.dataset().name() + "/test", data.test().checksum());
    LabeledImages.HeldOut heldOut = null;
    int validationSize = cfg.dataset().validation().size();
    if (validationSize > 0) {
      int trainSize = data.train().size();
      if (validationSize >= trainSize) {
        throw new UsageException("dataset.validation.size must be below the " + trainSize + " training images of '"
            + cfg.dataset().name() + "' (some must stay for training), was " + validationSize);
      }
      heldOut = data.train().holdOut(validationSize, cfg.dataset().validation().seed());
      inputs.put(cfg.dataset().name() + "/validation", heldOut.indicesChecksum());
    }
    if (cfg.model().weights() != null) {
      ModelDataOptions.loadWeights(cfg.model().weights(), model);
      inputs.put(WEIGHTS_INPUT, weightsDigest(cfg.model().weights()));
    }
    return new PreparedRun(cfg, strategy, resolved, budgetScale, data, heldOut, model,
        RunFolder.Identity.of(resolved, inputs));
  }

  /** sha256 of a weights folder's manifest (which lists every tensor file's md5), or of a checkpoint file. */
  static String weightsDigest(Path weights) {
    if (Files.isRegularFile(weights)) {
      try {
        return Digests.sha256Label(Files.readAllBytes(weights));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + weights, e);
      }
    }
    try {
      return Digests.sha256Label(Files.readAllBytes(weights.resolve(PretrainedWeights.MANIFEST)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + weights.resolve(PretrainedWeights.MANIFEST), e);
    }
  }

  ExperimentConfig config() {
    return config;
  }

  /** The identity a run folder of this run is bound to. */
  RunFolder.Identity identity() {
    return identity;
  }

  /**
   * Runs the experiment in {@code runDir}. A folder holding this run finished reports its record unchanged; an
   * interrupted or failed one continues from its checkpoints; a folder of another run, a busy folder or a foreign
   * folder is refused before anything is written.
   *
   * @param holder the command, for the lock's message to other processes
   */
  RunRecord runIn(Path runDir, PrintWriter progress, boolean interactive, String holder) {
    RunFolder folder = RunFolder.at(runDir);
    RunFolder.State state = UsageException.usage(() -> folder.checkFor(identity));
    if (state == RunFolder.State.FINISHED) {
      return finished(folder, progress);
    }
    Prepared prepared = prepare(folder.dir(), progress, interactive); // the strategy's own checks, before any write
    RunFolder.Lock lock;
    try {
      lock = folder.lock(identity, holder);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new UsageException(e.getMessage());
    }
    try (lock) {
      switch (lock.state()) {
        case FINISHED:
          return finished(folder, progress);
        case FAILED:
          RunRecord.Failure f = folder.record().error();
          progress.printf("bsq run: the previous attempt in %s failed during %s (%s: %s); continuing from its "
              + "checkpoints%n", folder.dir(), f.phase(), f.type(), f.message());
          break;
        case INTERRUPTED:
          progress.printf("bsq run: continuing the interrupted run in %s%n", folder.dir());
          break;
        default:
          break;
      }
      progress.println(prepared.header());
      return new Harness(List.of(prepared.bar())).run(prepared.experiment());
    }
  }

  /** An experiment ready for the harness, its progress bar and the line that announces it. */
  private record Prepared(Experiment experiment, ConsoleProgress bar, String header) {}

  private static RunRecord finished(RunFolder folder, PrintWriter progress) {
    progress.printf("bsq run: %s already holds this run, finished; its record is shown unchanged (use a new --out "
        + "folder to run it again)%n", folder.dir());
    return folder.record();
  }

  private Prepared prepare(Path runDir, PrintWriter progress, boolean interactive) {
    ExperimentConfig cfg = config;
    int batch = cfg.dataset().batchSize();
    LabeledImages trainImages = heldOut == null ? data.train() : heldOut.rest();
    int trainSize = cfg.dataset().limitTrain() == 0 ? trainImages.size()
        : Math.min(cfg.dataset().limitTrain(), trainImages.size());
    DataLoader train = DataLoader.builder(trainImages, batch).shuffle(true)
        .augmentation(cfg.dataset().augment() ? data.defaultAugmentation() : null)
        .normalization(data.normalization()).seed(cfg.seed())
        .limit(trainSize)
        .name(cfg.dataset().name() + (heldOut == null ? "/train" : "/train (without the validation split)")).build();
    DataLoader heldOutValidation = heldOut == null ? null
        : DataLoader.builder(heldOut.heldOut(), batch).shuffle(false).augmentation(null)
            .normalization(data.normalization()).seed(cfg.seed())
            .name(cfg.dataset().name() + "/validation (held out)").build();
    DataLoader validation = heldOutValidation != null ? heldOutValidation
        : DataLoader.builder(data.train(), batch).shuffle(false).augmentation(null)
            .normalization(data.normalization()).seed(cfg.seed())
            .limit(Math.min(data.train().size(), Math.max(batch, trainSize / 10)))
            .name(cfg.dataset().name() + "/train-subset (validation, not held out)").build();
    DataLoader test = data.testLoader(batch,
        cfg.dataset().limitTest() == 0 ? data.test().size() : cfg.dataset().limitTest());
    Backend backend = Backends.byName(cfg.backend());
    LayerInventory inventory = LayerInventory.of(model.graph());
    List<SchemeCostModel> costs = new ArrayList<>();
    costs.add(new SizeOnlyCostModel());
    for (String a : cfg.pricedAccelerators()) {
      costs.add(new AcceleratorCostModel(a));
    }
    Budget budget = cfg.strategy().budget().scaled(budgetScale);
    double strategyEpochs = budget.epochs();
    ConsoleProgress bar = new ConsoleProgress(progress, interactive, 200, System::nanoTime);
    JsonNode params = resolved.path("experiment").path("strategy").path("params");
    CostMetric metric = CostMetric.of(cfg.objective().metric());
    CostTarget target = new CostTarget(costs, metric.needsAccelerator() ? cfg.objective().accelerator()
        : costs.get(0).name(), metric, inventory);
    StrategyContext ctx = new StrategyContext(inventory, model, backend, train, validation, costs.get(0),
        budget, cfg.seed(), params, runDir.resolve("strategy/work"), List.of(bar), target,
        new SearchLog(budget, List.of(new SearchProgress(progress, interactive, 200, System::nanoTime,
            metric.unit()))));
    try {
      strategy.check(ctx);
    } catch (IllegalArgumentException ex) {
      throw new UsageException("strategy " + cfg.strategy().name() + ": " + ex.getMessage());
    }
    Map<String, String> checksums = new LinkedHashMap<>(identity.inputs());
    checksums.remove(WEIGHTS_INPUT); // provenance lists the data; the weights are in the config and its identity
    Provenance provenance = Provenance.collect(ProjectInfo.version(), backend.name(), checksums,
        Path.of("").toAbsolutePath());
    Experiment experiment = new Experiment(cfg.strategy().name(), strategy, ctx, train, heldOutValidation, test,
        cfg.finetune(),
        budgetScale, resolved, provenance, costs, runDir);
    String header = String.format(java.util.Locale.ROOT, "bsq run: strategy %s on %s/%s, budget scale %s (strategy "
            + "%.3g epochs%s, finetune %.3g epochs), objective %s, backend %s, run folder %s", cfg.strategy().name(),
        cfg.model().name(), cfg.dataset().name(), budgetScale, strategyEpochs, describeSearchBudget(budget),
        cfg.finetune().epochs() * budgetScale, target.describe(), Backends.describe(backend), runDir);
    return new Prepared(experiment, bar, header);
  }

  private static String describeSearchBudget(Budget b) {
    return (b.evaluations() > 0 ? ", " + b.evaluations() + " evaluations" : "")
        + (b.seconds() > 0 ? String.format(java.util.Locale.ROOT, ", %.0f s", b.seconds()) : "");
  }

  /** Whether {@code folder} is bound to this run (the same configuration and the same inputs). */
  boolean sameRunAs(RunFolder folder) {
    if (!Files.isRegularFile(folder.dir().resolve(RunFolder.CONFIG_FILE))) {
      return false;
    }
    RunFolder.Identity bound = folder.identity();
    return bound.configHash().equals(identity.configHash()) && bound.inputs().equals(identity.inputs());
  }
}
