package org.bsq.bench.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.bench.report.Report;
import org.bsq.bench.report.ReportRun;
import org.bsq.bench.reproduce.PaperTables;
import org.bsq.bench.reproduce.RunResult;
import org.bsq.bench.reproduce.Table;
import org.bsq.bench.sweep.SweepFile;
import org.bsq.bench.sweep.SweepPlan;
import org.bsq.bench.sweep.SweepResult;
import org.bsq.bench.sweep.SweepRunner;
import org.bsq.core.config.ConfigDocument;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Backends;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.io.FileTrees;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.train.ConsoleProgress;
import org.bsq.core.train.EpochRecord;
import org.bsq.core.train.EvaluationResult;
import org.bsq.core.train.Initializers;
import org.bsq.core.train.LearningRateSchedule;
import org.bsq.core.train.SgdSettings;
import org.bsq.core.train.Trainer;
import org.bsq.core.train.TrainingConfig;
import org.bsq.core.train.TrainingResult;
import org.bsq.data.DataSet;
import org.bsq.data.DataSets;
import org.bsq.models.PretrainedWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bsq demo}: the main job on the embedded Fashion-MNIST subset, with no download. It trains the small CNN in
 * full precision, then runs the comparison sweep {@code configs/sweeps/demo.yaml} from that model (BSQ through the
 * harness, then uniform 3-bit QAT, HAWQ, random search and HAQ at the size BSQ reached), each run a child
 * {@code bsq run} into {@code OUT/ID}, and prints BSQ's per-layer bits, the comparison table with latency and energy
 * on two accelerator presets, and where the HTML report is. Run again, it finds the finished runs and trains only
 * the float model.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Train the small CNN on the embedded Fashion-MNIST subset, then quantize it with BSQ, uniform 3-bit "
        + "QAT, HAWQ, random search and HAQ at BSQ's size; print the comparison table with hardware columns and write "
        + "the HTML report (no download, about 3 minutes on 2 cores once built).")
final class DemoCommand implements Callable<Integer> {
  static final String MODEL = "small-cnn";
  static final String DATASET = DataSets.EMBEDDED;

  @Spec
  CommandSpec spec;

  @Option(names = "--epochs", defaultValue = "10", paramLabel = "N", description = "Epochs (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--backend", defaultValue = "auto", paramLabel = "B", description = "onednn, reference or auto (default: ${DEFAULT-VALUE}).")
  String backend;

  @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "Run folder (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--json", description = "Print one JSON summary object as the last line of stdout (progress goes to stderr).")
  boolean json;

  @Option(names = "--bsq-scale", defaultValue = "1", paramLabel = "F",
      description = "Budget scale of the comparison runs (BSQ, uniform, HAWQ, random, HAQ: their epochs, finetuning "
          + "epochs and search budgets; 0 skips them). Default: ${DEFAULT-VALUE}.")
  double bsqScale;

  /** The demo's BSQ recipe, shipped as configs/embedded-bsq.yaml and packaged on the class path. */
  static final String RECIPE = "/configs/embedded-bsq.yaml";
  /** The demo's comparison sweep (BSQ first), shipped as configs/sweeps/demo.yaml. */
  static final String SWEEP = "/configs/sweeps/demo.yaml";
  /** The experiment files the sweep names, copied beside it. */
  static final List<String> SWEEP_CONFIGS = List.of("embedded-bsq.yaml", "embedded-uniform3.yaml",
      "embedded-hawq.yaml", "embedded-random.yaml", "embedded-haq.yaml");
  /** The sweep's run ids (run folders OUT/ID). */
  static final List<String> COMPARED = List.of("bsq", "uniform", "hawq", "random", "haq");
  /** Presets of the comparison table's latency and energy columns. */
  static final List<String> PRESETS = List.of("bitfusion-e", "stripes");

  @Option(names = "--store", paramLabel = "URL",
      description = "Result store the comparison runs are indexed into (default: $BSQ_RESULT_STORE, else "
          + "OUT/results.db).")
  String store;

  @Override
  public Integer call() {
    if (epochs < 1) {
      throw new UsageException("--epochs must be >= 1, was " + epochs);
    }
    if (bsqScale != 0) { // 0 skips BSQ; anything else is a budget scale, checked now rather than after training
      PreparedRun.checkBudgetScale("--bsq-scale", bsqScale);
    }
    ModelDataOptions.checkBackendName(backend);
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter progress = json ? spec.commandLine().getErr() : spec.commandLine().getOut();
    long start = System.nanoTime();
    DataSet data = DataSets.load(DATASET, null);
    Model model = ModelDataOptions.newModel(MODEL, data.info(), "relu", 0);
    Initializers.initialize(model, seed);
    LayerInventory inventory = LayerInventory.of(model.graph());
    Backend engine = Backends.byName(backend);

    progress.printf("bsq demo: %s on %s (%d train / %d test images, %s), backend %s%n", MODEL, DATASET,
        data.train().size(), data.test().size(), data.info().inputShape(), Backends.describe(engine));
    progress.printf("  %-8s %-16s %8s %12s%n", "layer", "weight shape", "params", "MACs/image");
    for (LayerInfo l : inventory) {
      progress.printf("  %-8s %-16s %8d %12d%n", l.name(), l.weightShape(), l.paramCount(), l.macsPerSample());
    }
    long layerParams = inventory.totalParams();
    long batchNorm = model.parameters().all().stream()
        .filter(p -> p.role() == ParameterRole.BN_WEIGHT || p.role() == ParameterRole.BN_BIAS)
        .mapToLong(Parameter::size).sum();
    progress.printf("  total: %d parameters in conv/linear layers (weights and biases: what a scheme quantizes and "
            + "the reports count) + %d batch-norm scales and shifts = %d trainable; %.2f M MACs per image%n",
        layerParams, batchNorm, model.parameters().trainableCount(), inventory.totalMacsPerSample() / 1e6);

    int batch = 128;
    TrainingConfig config = TrainingConfig.of(epochs, SgdSettings.of(0.1, 0.9, 5e-4).withNesterov(true),
        LearningRateSchedule.cosine(epochs, 0.0), seed).withSchedulePerStep(true)
        .withCheckpoints(out.resolve("checkpoints"), 1, 0);
    Trainer trainer = Trainer.builder(engine, model, config, data.trainLoader(batch, seed))
        .evaluation(data.testLoader(batch))
        .listener(new ConsoleProgress(progress, System.console() != null && !json, 200, System::nanoTime))
        .build();
    TrainingResult result = trainer.train();
    EvaluationResult last = result.finalEvaluation();

    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("model", MODEL);
    meta.put("dataset", DATASET);
    meta.put("epochs", epochs);
    meta.put("seed", seed);
    meta.put("top1", last.top1());
    meta.put("top5", last.top5());
    PretrainedWeights.save(out.resolve("weights"), model.parameters(), meta);
    Json.writeFile(out.resolve("history.json"), result);
    double seconds = (System.nanoTime() - start) / 1e9;

    stdout.println();
    stdout.println("Report: full-precision model");
    stdout.printf("  %-6s %10s %10s %10s%n", "epoch", "train loss", "test top-1", "seconds");
    for (EpochRecord r : result.history()) {
      stdout.printf("  %-6d %10.4f %9.2f%% %10.1f%n", r.epoch() + 1, r.trainLoss(), 100 * r.testTop1(), r.seconds());
    }
    stdout.printf("  %s on %s: top-1 %.2f %%, top-5 %.2f %%, loss %.4f over %d test images%n", MODEL, DATASET,
        100 * last.top1(), 100 * last.top5(), last.loss(), last.samples());
    stdout.printf("  weights: %d conv/linear parameters at 32 bits = %.1f KiB; %d training steps in %.1f s (total %.1f s)%n",
        inventory.totalParams(), inventory.totalParams() * 4 / 1024.0, result.steps(), result.seconds(), seconds);
    stdout.printf("  run folder: %s (weights/, history.json, checkpoints/)%n", out);

    RunRecord bsq = null;
    SweepResult comparison = null;
    Path html = null;
    if (bsqScale > 0) {
      // BSQ first: when the float model or the settings changed since the last demo, every comparison run (they all
      // start from the float model, the searches at BSQ's size) is replaced
      PreparedRun bsqRun = PreparedRun.of(recipe(out.resolve("weights"), engine.name()), bsqScale);
      RunFolder folder = RunFolder.at(out.resolve("bsq"));
      if (Files.exists(folder.dir()) && !bsqRun.sameRunAs(folder)) {
        progress.printf("%nreplacing the previous demo's comparison runs in %s (they started from other float weights "
            + "or settings)%n", out);
        for (String id : COMPARED) {
          deleteFolder(out.resolve(id));
        }
      }
      Path sweepFile = copyComparisonConfigs(out.resolve("configs"));
      SweepFile sweep = SweepFile.read(sweepFile).withOverrides(List.of(
          "model.weights=" + out.resolve("weights").toAbsolutePath(), "backend=" + engine.name()));
      SweepPlan plan = sweep.plan(bsqScale, out);
      progress.printf("%nComparison from this float model (%s: BSQ, then uniform 3-bit, HAWQ, random search and HAQ "
          + "at BSQ's size; budget scale %s), one run at a time%n", SWEEP.substring(1), bsqScale);
      comparison = new SweepRunner(SweepRunner.Options.defaults(progress).withStore(store)
          .withInteractive(System.console() != null && !json)).run(plan);
      SweepResult.Outcome b = comparison.outcome("bsq");
      if (b.record() == null) {
        throw new IllegalStateException("the demo's BSQ run did not finish: " + b.error() + " (see "
            + b.runDir().resolve("sweep.log") + ")");
      }
      bsq = b.record();
      RunCommand.report(stdout, bsq);
      stdout.printf("%n  Summary: float %.2f %% at 32 bits -> BSQ %.2f %% at %.2f average bits (%.2fx smaller, paper "
              + "metric; %.2fx whole model). Run record: %s%n", 100 * last.top1(), 100 * bsq.metrics().top1(),
          bsq.avgBits(), bsq.compression().paper(), bsq.compression().wholeModel(), out.resolve("bsq/run.json"));

      List<RunResult> rows = new ArrayList<>();
      List<ReportRun> reportRuns = new ArrayList<>();
      for (SweepResult.Outcome o : comparison.runs()) {
        if (o.record() != null) {
          rows.add(RunResult.done(o.id(), o.record()));
          reportRuns.add(new ReportRun(o.id(), o.runDir(), o.record()));
        } else {
          rows.add(RunResult.notDone(o.id(), o.state().label(), o.error()));
        }
      }
      Table table = PaperTables.comparison("Demo: strategies at BSQ's size on " + DATASET + " (" + MODEL + ")", rows,
          PRESETS, List.of(String.format(java.util.Locale.ROOT, "Float model: %.2f %% test top-1. Budget scale %s; "
              + "seed %d; one machine (%s).", 100 * last.top1(), bsqScale, seed,
              org.bsq.core.provenance.Provenance.cpuModel()),
              "The searches (HAWQ, random, HAQ) hold out 1,000 training images to select on; BSQ and uniform do not "
                  + "need them.",
              "The small CNN's activations are full precision (ReLU), which bounds the accelerators' latency and "
                  + "energy: here they hardly depend on the weight bits (the CIFAR ResNet-20 configs use 4-bit "
                  + "activations)."));
      writeText(out.resolve("comparison.md"), table.markdown());
      writeText(out.resolve("comparison.csv"), table.csv());
      writeText(out.resolve("comparison.tex"), table.latex());
      html = Report.write(reportRuns, out.resolve("report"));
      stdout.println();
      stdout.print(table.markdown());
      stdout.printf("%n  comparison table: %s (.md, .csv, .tex)%n", out.resolve("comparison"));
      stdout.printf("  report: %s (open it in a browser)%n", html.toAbsolutePath());
    }
    int code = comparison == null ? 0 : comparison.exitCode();
    if (code != 0) {
      stdout.println("  some comparison runs did not finish (see the table and their sweep.log); run the demo again "
          + "to retry them");
    }
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>(meta);
      o.put("loss", last.loss());
      o.put("samples", last.samples());
      o.put("params", inventory.totalParams());
      o.put("backend", engine.name());
      o.put("cpuIsa", org.bsq.core.provenance.Provenance.cpuIsa(engine.name()));
      o.put("trainSeconds", result.seconds());
      o.put("seconds", seconds);
      if (bsq != null) {
        o.put("bsqTop1", bsq.metrics().top1());
        o.put("bsqAvgBits", bsq.avgBits());
        o.put("bsqCompression", bsq.compression().paper());
        o.put("bsqRunJson", out.resolve("bsq/run.json").toString());
      }
      if (comparison != null) {
        List<Map<String, Object>> runs = new ArrayList<>();
        for (SweepResult.Outcome c : comparison.runs()) {
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("id", c.id());
          r.put("state", c.state().label());
          r.put("top1", c.record() == null ? null : c.record().metrics().top1());
          r.put("avgBits", c.record() == null ? null : c.record().avgBits());
          r.put("error", c.error());
          runs.add(r);
        }
        o.put("comparison", runs);
        o.put("report", html.toAbsolutePath().toString());
      }
      stdout.println(Json.line(o));
    }
    stdout.flush();
    return code;
  }

  /**
   * Copies the shipped sweep and the experiment files it names from the class path into {@code dir} (configs/ and
   * configs/sweeps/ as in the repository, so its relative names hold) and returns the sweep file.
   */
  static Path copyComparisonConfigs(Path dir) {
    try {
      Files.createDirectories(dir.resolve("sweeps"));
      copyResource(SWEEP, dir.resolve("sweeps/demo.yaml"));
      for (String c : SWEEP_CONFIGS) {
        copyResource("/configs/" + c, dir.resolve(c));
      }
      return dir.resolve("sweeps/demo.yaml");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the demo's configurations into " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void copyResource(String resource, Path to) throws IOException {
    try (InputStream in = DemoCommand.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the class path; rebuild");
      }
      Files.write(to, in.readAllBytes());
    }
  }

  private static void deleteFolder(Path dir) {
    try {
      FileTrees.deleteRecursively(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void writeText(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** The shipped recipe with the float weights just trained and the demo's backend. */
  static ConfigDocument recipe(Path floatWeights, String backendName) {
    try (InputStream in = DemoCommand.class.getResourceAsStream(RECIPE)) {
      if (in == null) {
        throw new IllegalStateException("the demo recipe " + RECIPE + " is missing from the class path; rebuild");
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return ConfigDocument.parse(text, RECIPE, Path.of("").toAbsolutePath())
          .withOverrides(List.of("model.weights=" + floatWeights.toAbsolutePath(), "backend=" + backendName));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the demo recipe " + RECIPE, e);
    }
  }
}
