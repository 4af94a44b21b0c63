package org.bsq.bench.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
 * full precision, then runs BSQ from that model through the harness ({@code configs/embedded-bsq.yaml}: BSQ training,
 * fixed-scheme finetuning, evaluation, pricing) and prints the per-layer bits, average bits, compression and accuracy
 * next to the float model's.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Train the small CNN on the embedded Fashion-MNIST subset, then quantize it with BSQ and compare "
        + "(no download, about 1-2 minutes once built).")
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
      description = "Budget scale of the BSQ run (its epochs and finetuning epochs; 0 skips BSQ). Default: ${DEFAULT-VALUE}.")
  double bsqScale;

  /** The demo's BSQ recipe, shipped as configs/embedded-bsq.yaml and packaged on the class path. */
  static final String RECIPE = "/configs/embedded-bsq.yaml";

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
    if (bsqScale > 0) {
      PreparedRun run = PreparedRun.of(recipe(out.resolve("weights"), engine.name()), bsqScale);
      RunFolder folder = RunFolder.at(out.resolve("bsq"));
      if (Files.exists(folder.dir()) && !run.sameRunAs(folder)) {
        progress.printf("%nreplacing the previous demo's BSQ run in %s (it started from other float weights or "
            + "settings)%n", folder.dir());
        try {
          FileTrees.deleteRecursively(folder.dir());
        } catch (IOException e) {
          throw new UncheckedIOException("cannot remove " + folder.dir() + ": " + e.getMessage(), e);
        }
      }
      progress.printf("%nBSQ from this float model (%s, budget scale %s)%n", RECIPE.substring(1), bsqScale);
      bsq = run.runIn(folder.dir(), progress, System.console() != null && !json, "bsq demo --out " + out);
      RunCommand.report(stdout, bsq);
      stdout.printf("%n  Summary: float %.2f %% at 32 bits -> BSQ %.2f %% at %.2f average bits (%.2fx smaller, paper "
              + "metric; %.2fx whole model). Run record: %s%n", 100 * last.top1(), 100 * bsq.metrics().top1(),
          bsq.avgBits(), bsq.compression().paper(), bsq.compression().wholeModel(), out.resolve("bsq/run.json"));
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
      stdout.println(Json.line(o));
    }
    stdout.flush();
    return 0;
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
