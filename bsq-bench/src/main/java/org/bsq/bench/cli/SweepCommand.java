package org.bsq.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.bench.sweep.Shard;
import org.bsq.bench.sweep.SweepDistributor;
import org.bsq.bench.sweep.SweepFile;
import org.bsq.bench.sweep.SweepPlan;
import org.bsq.bench.sweep.SweepResult;
import org.bsq.bench.sweep.SweepRunner;
import org.bsq.bench.sweep.SweepStatus;
import org.bsq.core.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bsq sweep SWEEP.yaml}: runs what is missing of a sweep (docs/sweeps.md), each run a child {@code bsq run};
 * {@code bsq sweep status SWEEP.yaml} shows where every run stands. {@code --shard I/N} takes one deterministic part of
 * the grid (for batch schedulers); {@code --spark MASTER} runs the runs as Apache Spark tasks through the
 * {@link SweepDistributor} of the bsq-spark module (docs/scale-out.md). Exit codes: 0 when every run is done, 1 when one
 * failed, is blocked or still runs elsewhere, 2 for a usage error (a bad sweep file, an unknown reference, a cycle).
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
    description = "Run a sweep file (runs and grids of experiments, see docs/sweeps.md): what is done is skipped, "
        + "interrupted runs continue, failed ones are retried; each run is a child bsq run into OUT/ID.",
    subcommands = SweepCommand.Status.class)
final class SweepCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  Common common;

  @Option(names = "--jobs", defaultValue = "1", paramLabel = "N",
      description = "Runs at a time; the cores (or OMP_NUM_THREADS) are split between them. Default: ${DEFAULT-VALUE}.")
  int jobs;

  @Option(names = "--store", paramLabel = "URL",
      description = "Result store every run is indexed into (default: $BSQ_RESULT_STORE, else OUT/results.db).")
  String store;

  @Option(names = "--spark", paramLabel = "MASTER",
      description = "Run each missing run as an Apache Spark task on this master: local[N], spark://HOST:PORT, or "
          + "yarn / k8s://... under spark-submit (needs the bsq-spark module; see docs/scale-out.md).")
  String spark;

  @Option(names = "--artifacts", paramLabel = "URI",
      description = "With --spark: keep run folders under this Hadoop file system URI (hdfs://, s3a://, file://) "
          + "instead of the shared --out folder; --out is then each executor's local working folder.")
  String artifacts;

  /** The options both commands take. */
  static final class Common {
    @Parameters(index = "0", arity = "0..1", paramLabel = "SWEEP.yaml",
        description = "Sweep file (see configs/sweeps/); its experiment files are relative to its folder.")
    Path file;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder; run ID lives in DIR/ID (default: "
        + "runs/sweeps/NAME).")
    Path out;

    @Option(names = "--budget-scale", defaultValue = "1", paramLabel = "F",
        description = "Every run's budget scale (as bsq run's; part of each run's identity). Default: "
            + "${DEFAULT-VALUE}.")
    double budgetScale;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
        description = "Override a key of every run, after the sweep file's own (repeatable; values may refer to "
            + "runs, ${ID.avgBits}).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--shard", paramLabel = "I/N",
        description = "Only the I-th of N deterministic parts of the sweep (1 <= I <= N; runs linked by references "
            + "stay together), e.g. for a SLURM array: --shard $((SLURM_ARRAY_TASK_ID+1))/$SLURM_ARRAY_TASK_COUNT.")
    String shard;

    SweepPlan plan() {
      if (file == null) {
        throw new UsageException("sweep needs SWEEP.yaml");
      }
      PreparedRun.checkBudgetScale("--budget-scale", budgetScale);
      SweepFile sweep = UsageException.usage(() -> SweepFile.read(file).withOverrides(overrides));
      Shard part = shard == null ? Shard.ALL : UsageException.usage(() -> Shard.parse(shard));
      SweepPlan plan = UsageException.usage(() -> out == null ? sweep.plan(budgetScale) : sweep.plan(budgetScale, out));
      return plan.shard(part);
    }
  }

  @Override
  public Integer call() {
    if (jobs < 1) {
      throw new UsageException("--jobs must be >= 1, was " + jobs);
    }
    if (artifacts != null && spark == null) {
      throw new UsageException("--artifacts " + artifacts + " needs --spark MASTER (a local sweep keeps its run "
          + "folders in --out)");
    }
    if (spark != null && spec.commandLine().getParseResult().hasMatchedOption("--jobs")) {
      throw new UsageException("--jobs " + jobs + " is for a local sweep; with --spark the executors' cores and "
          + "spark.task.cpus decide how many runs run at once");
    }
    SweepDistributor distributor = null;
    if (spark != null) {
      distributor = SweepDistributor.find("spark").orElseThrow(() -> new UsageException("--spark " + spark + " needs "
          + "the bsq-spark module on the class path: run through ./bsq, which adds bsq-spark/target/classes and "
          + "bsq-spark/target/classpath.txt when --spark is given (build them with mvn -DskipTests install), or "
          + "through spark-submit as docs/scale-out.md shows"));
    }
    SweepPlan plan = common.plan();
    PrintWriter out = spec.commandLine().getOut();
    if (distributor != null) {
      SweepDistributor.Request request = UsageException.usage(() -> new SweepDistributor.Request(spark,
          store != null ? store : SweepRunner.defaultStore(plan.outDir()), artifacts, out, null, null));
      SweepResult result = distributor.run(plan, request);
      out.flush();
      return result.exitCode();
    }
    SweepRunner.Options options = SweepRunner.Options.defaults(out).withJobs(jobs).withStore(store)
        .withInteractive(System.console() != null);
    SweepResult result = new SweepRunner(options).run(plan);
    out.flush();
    return result.exitCode();
  }

  /** {@code bsq sweep status SWEEP.yaml}: where every run stands, reading the output folder only. */
  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Show every run's state: done, running, failed, blocked, waiting or missing (reads only).")
  static final class Status implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Common common;

    @Option(names = "--json", description = "Print one JSON array of {id, state, detail, runDir, top1, avgBits}.")
    boolean json;

    @Override
    public Integer call() {
      SweepStatus status = SweepStatus.of(common.plan());
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (SweepStatus.Entry e : status.runs()) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("id", e.id());
          row.put("state", e.state().label());
          row.put("detail", e.detail());
          row.put("runDir", e.runDir().toString());
          row.put("top1", e.record() == null ? null : e.record().metrics().top1());
          row.put("avgBits", e.record() == null ? null : e.record().avgBits());
          rows.add(row);
        }
        out.println(Json.line(rows));
      } else {
        status.lines().forEach(out::println);
      }
      out.flush();
      return 0;
    }
  }
}
