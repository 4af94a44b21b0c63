package org.bsq.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.core.config.ConfigDocument;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bsq run CONFIG.yaml}: one experiment through the harness (strategy proposes, harness finetunes, evaluates,
 * prices) into {@code OUT/run.json}. Everything is checked before anything is written (see {@link PreparedRun}); a run
 * folder holds one run (see {@link org.bsq.core.harness.RunFolder}): running the same experiment into it again
 * continues an interrupted or failed run and reports a finished one unchanged. {@code --resume OUT} does the same from
 * the folder's saved configuration.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run an experiment file: the strategy proposes a scheme, the harness finetunes, evaluates and "
        + "prices it, and writes OUT/run.json. A run folder holds one run: the same command continues it, another "
        + "configuration is refused.")
final class RunCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG.yaml",
      description = "Experiment file (YAML or JSON; see configs/). Relative paths in it are relative to its folder. "
          + "Not with --resume.")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override a key, e.g. --set strategy.params.alpha=0.01 (repeatable; relative paths are relative "
          + "to the working directory).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--budget-scale", defaultValue = "1", paramLabel = "F",
      description = "Multiply every epoch count (strategy, finetuning, schedules; fractions allowed; finite, > 0). "
          + "Default: ${DEFAULT-VALUE}.")
  double budgetScale;

  @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: runs/run-CONFIG-DATASET-TIME).")
  Path out;

  @Option(names = "--resume", paramLabel = "DIR",
      description = "Continue the run in DIR with its saved configuration (takes no CONFIG, --set, --budget-scale "
          + "or --out).")
  Path resume;

  @Option(names = "--json", description = "Print a JSON summary as the last line of stdout (progress goes to stderr).")
  boolean json;

  @Option(names = "--store", paramLabel = "URL",
      description = "Also index the finished (or failed) run into this result store (see bsq results; default: "
          + "none).")
  String store;

  @Option(names = "--exit-with-parent", hidden = true,
      description = "Exit (code 3) as soon as the process that started this one is gone (a sweep's or a Spark "
          + "executor's child: a killed executor must not leave a run holding its folder's lock).")
  boolean exitWithParent;

  @Override
  public Integer call() {
    if (exitWithParent) {
      watchParent(spec.commandLine().getErr());
    }
    PreparedRun run;
    Path runDir;
    if (resume != null) {
      List<String> conflicting = new ArrayList<>();
      if (config != null) {
        conflicting.add("CONFIG (" + config + ")");
      }
      if (!overrides.isEmpty()) {
        conflicting.add("--set " + String.join(" --set ", overrides));
      }
      if (spec.commandLine().getParseResult().hasMatchedOption("--budget-scale")) {
        conflicting.add("--budget-scale " + budgetScale);
      }
      if (out != null) {
        conflicting.add("--out " + out);
      }
      if (!conflicting.isEmpty()) {
        throw new UsageException("--resume DIR continues the run saved in DIR with its own configuration and takes "
            + "no " + String.join(", ", conflicting) + "; to run another configuration, use CONFIG with a new --out");
      }
      if (!Files.isDirectory(resume) || !Files.isRegularFile(resume.resolve(RunFolder.CONFIG_FILE))) {
        throw new UsageException("--resume needs a run folder with " + RunFolder.CONFIG_FILE + ", was '" + resume
            + "'");
      }
      run = PreparedRun.ofFolder(RunFolder.at(resume));
      runDir = resume;
    } else {
      if (config == null) {
        throw new UsageException("run needs CONFIG.yaml (or --resume DIR)");
      }
      ConfigDocument doc;
      try {
        doc = ConfigDocument.read(config).withOverrides(overrides);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
      run = PreparedRun.of(doc, budgetScale);
      String stem = config.getFileName().toString().replaceAll("\\.(ya?ml|json)$", "");
      runDir = out != null ? out : TrainCommand.defaultRunDir("run", stem, run.config().dataset().name());
    }
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter progress = json ? spec.commandLine().getErr() : spec.commandLine().getOut();
    String holder = "bsq " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    RunRecord r;
    try {
      r = run.runIn(runDir, progress, System.console() != null && !json, holder);
    } catch (RuntimeException e) {
      // a run that failed after it started leaves a failed run.json: the store records the failure too
      if (store != null && !(e instanceof UsageException) && Files.isRegularFile(runDir.resolve(Harness.RUN_JSON))) {
        index(runDir, progress);
      }
      throw e;
    }
    report(stdout, r);
    int code = store != null && !index(runDir, progress) ? 1 : 0;
    if (json) {
      stdout.println(Json.line(summary(r, runDir)));
    }
    stdout.flush();
    return code;
  }

  /** Starts a daemon thread that ends this process once its parent process has ended (polled twice a second). */
  static void watchParent(PrintWriter err) {
    ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
    if (parent == null) {
      return; // already orphaned at start: nothing to watch
    }
    Thread t = new Thread(() -> {
      while (parent.isAlive()) {
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        }
      }
      err.println("bsq: the parent process " + parent.pid() + " is gone (--exit-with-parent); stopping this run, "
          + "which continues from its checkpoints when started again");
      err.flush();
      Runtime.getRuntime().halt(3);
    }, "bsq-exit-with-parent");
    t.setDaemon(true);
    t.start();
  }

  /** Indexes the folder's run.json into {@link #store}; false (with the reason on stderr) when that failed. */
  private boolean index(Path runDir, PrintWriter progress) {
    try {
      org.bsq.bench.store.ResultStore.open(store).index(runDir.resolve(Harness.RUN_JSON));
      progress.println("indexed " + runDir.resolve(Harness.RUN_JSON) + " into " + store);
      return true;
    } catch (RuntimeException e) {
      spec.commandLine().getErr().println("bsq: the run is in " + runDir + " but was not indexed into " + store
          + ": " + e.getMessage());
      return false;
    }
  }

  static Map<String, Object> summary(RunRecord r, Path runDir) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("strategy", r.strategy());
    o.put("status", r.status());
    o.put("top1Float", r.metrics().top1Float());
    o.put("top1BeforeFinetune", r.metrics().top1BeforeFinetune());
    o.put("top1", r.metrics().top1());
    o.put("top5", r.metrics().top5());
    o.put("top1Validation", r.metrics().top1Validation());
    o.put("avgBits", r.avgBits());
    o.put("compressionPaper", r.compression().paper());
    o.put("compressionWholeModel", r.compression().wholeModel());
    o.put("seconds", r.timings().totalSeconds());
    o.put("configHash", r.configHash());
    o.put("runJson", runDir.resolve(Harness.RUN_JSON).toString());
    return o;
  }

  static void report(PrintWriter out, RunRecord r) {
    out.println();
    out.printf("Run report: strategy %s%n", r.strategy());
    out.printf("  %-24s %6s %6s %9s%n", "layer", "w bits", "a bits", "params");
    // records before activation nodes were recorded have none at all: mark nothing there
    boolean nodesRecorded = r.scheme().layers().stream().anyMatch(x -> x.activationNode() != null);
    boolean unapplied = false;
    for (RunRecord.Layer l : r.scheme().layers()) {
      boolean recordedOnly = nodesRecorded && l.activationNode() == null && l.activationBits() > 0
          && l.activationBits() < 32;
      unapplied |= recordedOnly;
      String a = l.activationBits() == 0 ? "-" : l.activationBits() == 32 ? "fp32" : l.activationBits()
          + (recordedOnly ? "*" : "");
      out.printf("  %-24s %6s %6s %9d%s%n", l.name(), l.weightBits() == 32 ? "fp32" : String.valueOf(l.weightBits()),
          a, l.params(), l.counted() ? "" : "  (not counted)");
    }
    if (unapplied) {
      out.println("  * recorded and priced, but the layer's input is not a quantizable activation (the image, a plain "
          + "ReLU or pooled features)");
    }
    out.printf("  average weight bits %.3f; compression %.2fx (paper: counted layers) / %.2fx (whole model)%n",
        r.avgBits(), r.compression().paper(), r.compression().wholeModel());
    out.printf("  test top-1: %.2f %% start (float), %.2f %% under the scheme before finetuning, %.2f %% after "
            + "finetuning (top-5 %.2f %%, %d images)%n", 100 * r.metrics().top1Float(),
        100 * r.metrics().top1BeforeFinetune(), 100 * r.metrics().top1(), 100 * r.metrics().top5(),
        r.metrics().testSamples());
    if (r.metrics().top1Validation() != null && Harness.NO_FINETUNING.equals(r.trajectory().finetuneEvaluatedOn())) {
      out.printf("  validation top-1: %.2f %% (%d held-out training images; no finetuning)%n",
          100 * r.metrics().top1Validation(), r.metrics().validationSamples());
    } else if (r.metrics().top1Validation() != null) {
      out.printf("  validation top-1 after finetuning: %.2f %% (%d held-out training images; finetuning evaluated on "
          + "%s)%n", 100 * r.metrics().top1Validation(), r.metrics().validationSamples(),
          r.trajectory().finetuneEvaluatedOn());
    }
    if (!r.trajectory().search().isEmpty()) {
      org.bsq.core.search.SearchStep last = r.trajectory().search().get(r.trajectory().search().size() - 1);
      out.printf("  search: %d candidate evaluations%s, best reward %.4g at cost %.4g%n", r.trajectory().search().size(),
          r.budget() != null && r.budget().evaluations() > 0 ? " (budget " + r.budget().evaluations() + ")" : "",
          last.bestReward(), last.bestCost());
    }
    if (Harness.NO_FINETUNING.equals(r.trajectory().finetuneEvaluatedOn())) {
      out.println("  no finetuning: the strategy asked for post-training quantization");
    }
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
