package org.bsq.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Model;
import org.bsq.core.json.Json;
import org.bsq.core.train.ConsoleProgress;
import org.bsq.core.train.EvaluationResult;
import org.bsq.core.train.Initializers;
import org.bsq.core.train.LearningRateSchedule;
import org.bsq.core.train.SgdSettings;
import org.bsq.core.train.Trainer;
import org.bsq.core.train.TrainingConfig;
import org.bsq.core.train.TrainingResult;
import org.bsq.data.DataLoader;
import org.bsq.data.DataSet;
import org.bsq.models.PretrainedWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bsq train}: trains a full-precision model with SGD, with checkpoints and exact resume. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a full-precision model (SGD with momentum) and save its weights, history and checkpoints.")
final class TrainCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ModelDataOptions common = new ModelDataOptions();

  @Option(names = "--epochs", defaultValue = "1", paramLabel = "N", description = "Epochs (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--lr", defaultValue = "0.1", paramLabel = "LR", description = "Base learning rate (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
  double momentum;

  @Option(names = "--weight-decay", defaultValue = "1e-4", description = "Weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(names = "--nesterov", description = "Use Nesterov momentum.")
  boolean nesterov;

  @Option(names = "--schedule", defaultValue = "step", paramLabel = "step|cosine|constant",
      description = "Learning-rate schedule (default: ${DEFAULT-VALUE}: x0.1 at 50 %% and 75 %% of the epochs, as the "
          + "bearpaw CIFAR recipe).")
  String schedule;

  @Option(names = "--milestones", split = ",", paramLabel = "E1,E2", description = "Epochs where the step schedule multiplies the rate by --gamma.")
  List<Integer> milestones;

  @Option(names = "--gamma", defaultValue = "0.1", description = "Step schedule factor (default: ${DEFAULT-VALUE}).")
  double gamma;

  @Option(names = "--batch-size", defaultValue = "128", paramLabel = "B", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--seed", defaultValue = "42", description = "Seed for initialization, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: runs/train-MODEL-DATASET-TIME).")
  Path out;

  @Option(names = "--init-weights", paramLabel = "DIR", description = "Start from these weights instead of a seeded initialization.")
  Path initWeights;

  @Option(names = "--resume", paramLabel = "DIR",
      description = "Continue the run in DIR from its last checkpoint (same options as the first invocation).")
  Path resume;

  @Option(names = "--stop-after", defaultValue = "0", paramLabel = "E",
      description = "Stop after epoch E (schedule still spans --epochs); continue later with --resume. 0 = run to the end.")
  int stopAfter;

  @Option(names = "--no-augment", description = "Disable the data set's default augmentation.")
  boolean noAugment;

  @Option(names = "--limit-train", defaultValue = "0", paramLabel = "N", description = "Use only the first N training images.")
  int limitTrain;

  @Option(names = "--limit-test", defaultValue = "0", paramLabel = "N", description = "Evaluate on the first N test images only.")
  int limitTest;

  @Option(names = "--checkpoint-every", defaultValue = "1", paramLabel = "E", description = "Checkpoint every E epochs (default: ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(names = "--json", description = "Print one JSON summary object as the last line of stdout (progress goes to stderr).")
  boolean json;

  @Override
  public Integer call() {
    common.validate();
    if (epochs < 1 || batchSize < 1 || checkpointEvery < 1 || limitTrain < 0 || limitTest < 0) {
      throw new UsageException("--epochs, --batch-size and --checkpoint-every must be >= 1 and limits >= 0, was epochs="
          + epochs + " batch-size=" + batchSize + " checkpoint-every=" + checkpointEvery);
    }
    if (stopAfter < 0 || stopAfter > epochs) {
      throw new UsageException("--stop-after must be in [0, " + epochs + "] (0 = run to the end), was " + stopAfter);
    }
    if (!(lr > 0)) {
      throw new UsageException("--lr must be > 0, was " + lr);
    }
    LearningRateSchedule sched = schedule();
    Path runDir = resume != null ? resume : out != null ? out : defaultRunDir("train", common.model, common.dataset);
    if (resume != null && !Files.isDirectory(resume.resolve("checkpoints"))) {
      throw new UsageException("--resume needs a run folder with a checkpoints/ subfolder, was '" + resume + "'");
    }
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter progress = json ? spec.commandLine().getErr() : spec.commandLine().getOut();

    DataSet data = common.loadData();
    Model model = common.newModel(data.info());
    Initializers.initialize(model, seed);
    if (initWeights != null) {
      ModelDataOptions.loadWeights(initWeights, model);
    }
    DataLoader train = DataLoader.builder(data.train(), batchSize)
        .shuffle(true)
        .augmentation(noAugment ? null : data.defaultAugmentation())
        .normalization(data.normalization())
        .seed(seed)
        .limit(limitTrain == 0 ? data.train().size() : limitTrain)
        .name(common.dataset + "/train")
        .build();
    DataLoader test = data.testLoader(batchSize, limitTest == 0 ? data.test().size() : limitTest);
    Backend backend = common.backend();
    TrainingConfig config = TrainingConfig.of(epochs,
            SgdSettings.of(lr, momentum, weightDecay).withNesterov(nesterov), sched, seed)
        .withCheckpoints(runDir.resolve("checkpoints"), checkpointEvery, 0);
    Trainer trainer = Trainer.builder(backend, model, config, train)
        .evaluation(test)
        .listener(new ConsoleProgress(progress, System.console() != null && !json, 200, System::nanoTime))
        .build();
    progress.printf("bsq train: %s on %s, %d epochs, batch %d, %s, backend %s, run folder %s%n", common.model,
        common.dataset, epochs, batchSize, config.describe(), backend.name(), runDir);
    if (resume != null) {
      trainer.restore(runDir.resolve("checkpoints"));
    }
    int until = stopAfter == 0 ? epochs : stopAfter;
    if (until < trainer.completedEpochs()) {
      throw new UsageException("--stop-after " + stopAfter + " is before the checkpoint's epoch "
          + trainer.completedEpochs());
    }
    TrainingResult result = trainer.trainUntil(until);

    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("model", common.model);
    meta.put("dataset", common.dataset);
    meta.put("activation", common.activation);
    meta.put("actBits", common.actBits);
    meta.put("epochs", epochs);
    meta.put("completedEpochs", result.completedEpochs());
    meta.put("seed", seed);
    EvaluationResult last = result.finalEvaluation();
    if (last != null) {
      meta.put("top1", last.top1());
      meta.put("top5", last.top5());
    }
    PretrainedWeights.save(runDir.resolve("weights"), model.parameters(), meta);
    Json.writeFile(runDir.resolve("history.json"), result);
    stdout.printf("%s on %s: top-1 %.2f %%, top-5 %.2f %% after %d of %d epochs (%.1f s). Weights: %s%n",
        common.model, common.dataset, last == null ? Double.NaN : 100 * last.top1(),
        last == null ? Double.NaN : 100 * last.top5(), result.completedEpochs(), epochs, result.seconds(),
        runDir.resolve("weights"));
    if (result.completedEpochs() < epochs) {
      stdout.printf("stopped early; continue with the same options and --resume %s%n", runDir);
    }
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>(meta);
      o.put("loss", last == null ? null : last.loss());
      o.put("samples", last == null ? null : last.samples());
      o.put("seconds", result.seconds());
      o.put("backend", backend.name());
      o.put("runDir", runDir.toString());
      stdout.println(Json.line(o));
    }
    stdout.flush();
    return 0;
  }

  private LearningRateSchedule schedule() {
    switch (schedule) {
      case "constant":
        return LearningRateSchedule.constant();
      case "cosine":
        return LearningRateSchedule.cosine(epochs, 0.0);
      case "step":
        List<Integer> m = milestones;
        if (m == null) {
          m = new ArrayList<>();
          if (epochs / 2 > 0) {
            m.add(epochs / 2);
          }
          if (epochs * 3 / 4 > epochs / 2) {
            m.add(epochs * 3 / 4);
          }
        }
        return LearningRateSchedule.step(gamma, m.toArray(new Integer[0]));
      default:
        throw new UsageException("--schedule must be one of [step, cosine, constant], was '" + schedule + "'");
    }
  }

  static Path defaultRunDir(String kind, String model, String dataset) {
    String time = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    return Path.of("runs", kind + "-" + model + "-" + dataset + "-" + time);
  }
}
