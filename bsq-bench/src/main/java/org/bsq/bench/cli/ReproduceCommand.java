package org.bsq.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.bench.report.Report;
import org.bsq.bench.report.ReportRun;
import org.bsq.bench.reproduce.PaperTables;
import org.bsq.bench.reproduce.RunResult;
import org.bsq.bench.reproduce.Table;
import org.bsq.bench.sweep.RunState;
import org.bsq.bench.sweep.SweepFile;
import org.bsq.bench.sweep.SweepPlan;
import org.bsq.bench.sweep.SweepResult;
import org.bsq.bench.sweep.SweepRunner;
import org.bsq.core.provenance.Provenance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bsq reproduce table1|table2}: runs (or finishes) the sweep of one of the paper's tables
 * ({@code configs/sweeps/paper-table1.yaml}, {@code paper-table2.yaml}) and renders the table in the paper's layout
 * with the published numbers beside ours, as Markdown, CSV and LaTeX, plus the HTML report of its runs. Runs are
 * identified by their resolved-configuration hash, so a second call does no training and a killed call, rerun,
 * finishes the rest.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
    description = "Run (or finish) the sweep of one of the BSQ paper's tables and render it next to the published "
        + "numbers (OUT/TABLE.md, .csv, .tex) with the HTML report (OUT/report-TABLE/report.html). Reruns do no work.")
final class ReproduceCommand implements Callable<Integer> {
  /** The tables and their sweep files (under configs/sweeps/). */
  static final Map<String, String> TABLES = Map.of("table1", "paper-table1.yaml", "table2", "paper-table2.yaml");
  /** Presets of the latency and energy columns. */
  static final List<String> DEFAULT_PRESETS = List.of("bitfusion-e", "stripes");

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "TABLE", description = "table1 (BSQ at five alphas, from scratch, matched "
      + "baselines) or table2 (against other methods).")
  String table;

  @Option(names = "--budget-scale", defaultValue = "1", paramLabel = "F",
      description = "Multiply every epoch count and search budget (fractions give step-exact miniatures of the "
          + "recipes); default ${DEFAULT-VALUE}, the paper's full budget (about 27 hours per BSQ row on 2 cores).")
  double budgetScale;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "CIFAR-10 folder (cifar-10-batches-bin) for every run; default: the experiment files' own "
          + "(the JPEG-degraded copy of the development machines).")
  Path dataDir;

  @Option(names = "--weights", paramLabel = "DIR",
      description = "The full-precision ResNet-20 to start from (raw-float32 weights folder); default: the "
          + "experiment files' own (the authors' model).")
  Path weights;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output folder (runs, tables, report, store); default: runs/reproduce/scale-F.")
  Path out;

  @Option(names = "--jobs", defaultValue = "1", paramLabel = "N",
      description = "Runs at a time; the cores are split between them (default ${DEFAULT-VALUE}).")
  int jobs;

  @Option(names = "--store", paramLabel = "URL",
      description = "Result store for the runs; default $BSQ_RESULT_STORE, else OUT/results.db.")
  String store;

  @Option(names = "--presets", split = ",", paramLabel = "P1,P2",
      description = "Accelerator presets of the latency and energy columns (default: bitfusion-e,stripes; each must "
          + "be priced by the runs' experiment files).")
  List<String> presets = new ArrayList<>(DEFAULT_PRESETS);

  @Option(names = "--sweep", paramLabel = "FILE", hidden = true,
      description = "Another sweep file with the table's run ids (for tests and custom variants).")
  Path sweepFile;

  @Override
  public Integer call() {
    String file = TABLES.get(table);
    if (file == null) {
      throw new UsageException("TABLE must be one of " + new java.util.TreeSet<>(TABLES.keySet()) + ", was '" + table
          + "'");
    }
    PreparedRun.checkBudgetScale("--budget-scale", budgetScale);
    if (jobs < 1) {
      throw new UsageException("--jobs must be >= 1, was " + jobs);
    }
    Path sweepPath = sweepFile != null ? sweepFile : locate(file);
    List<String> sets = new ArrayList<>();
    if (dataDir != null) {
      if (!Files.isDirectory(dataDir)) {
        throw new UsageException("--data-dir must be an existing folder, was '" + dataDir + "'");
      }
      sets.add("dataset.dataDir=" + dataDir.toAbsolutePath().normalize());
    }
    if (weights != null) {
      if (!Files.isDirectory(weights) && !Files.isRegularFile(weights)) {
        throw new UsageException("--weights must be an existing weights folder or PyTorch checkpoint file, was '"
            + weights + "'");
      }
      sets.add("model.weights=" + weights.toAbsolutePath().normalize());
    }
    SweepFile sweep = UsageException.usage(() -> SweepFile.read(sweepPath).withOverrides(sets));
    Path outDir = out != null ? out : Path.of("runs", "reproduce", "scale-" + scaleLabel(budgetScale));
    SweepPlan plan = UsageException.usage(() -> sweep.plan(budgetScale, outDir));
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter progress = spec.commandLine().getErr();
    progress.printf("bsq reproduce %s: %d runs of %s at budget scale %s into %s%n", table, plan.runs().size(),
        sweepPath, budgetScale, outDir);
    SweepRunner.Options options = SweepRunner.Options.defaults(progress).withJobs(jobs).withStore(store)
        .withInteractive(System.console() != null);
    SweepResult result = new SweepRunner(options).run(plan);

    Map<String, RunResult> runs = new LinkedHashMap<>();
    List<ReportRun> reportRuns = new ArrayList<>();
    for (SweepResult.Outcome o : result.runs()) {
      if (o.state() == RunState.DONE && o.record() != null) {
        runs.put(o.id(), RunResult.done(o.id(), o.record()));
        reportRuns.add(new ReportRun(o.id(), o.runDir(), o.record()));
      } else {
        runs.put(o.id(), RunResult.notDone(o.id(), o.state().label(), o.error()));
      }
    }
    List<String> notes = notes(plan, result);
    Table t = "table1".equals(table) ? PaperTables.table1(runs, presets, notes)
        : PaperTables.table2(runs, presets, notes);
    write(outDir.resolve(table + ".md"), t.markdown());
    write(outDir.resolve(table + ".csv"), t.csv());
    write(outDir.resolve(table + ".tex"), t.latex());
    Path html = reportRuns.isEmpty() ? null : Report.write(reportRuns, outDir.resolve("report-" + table));
    stdout.println(t.markdown());
    stdout.printf("tables: %s (.md, .csv, .tex)%n", outDir.resolve(table));
    stdout.printf("report: %s%n", html == null ? "none (no run finished)" : html);
    stdout.printf("store:  %s%n", result.store());
    long failed = result.runs().stream().filter(o -> o.state() != RunState.DONE).count();
    if (failed > 0) {
      stdout.printf("%d of %d runs are not done (see `bsq sweep status %s --out %s --budget-scale %s`); rerun this "
          + "command to retry them%n", failed, result.runs().size(), sweepPath, outDir, budgetScale);
    }
    stdout.flush();
    return result.exitCode();
  }

  private List<String> notes(SweepPlan plan, SweepResult result) {
    List<String> notes = new ArrayList<>();
    notes.add(String.format(Locale.ROOT, "Budget scale %s: every epoch count, milestone, re-quantization interval and "
        + "search budget of the paper's recipes times %s (1 = the paper's budget).", budgetScale, budgetScale));
    String data = dataDir != null ? dataDir.toString() : "the experiment files' data folder";
    notes.add("Data: " + data + (dataDir == null || dataDir.toString().contains("jpeg")
        ? " (on the development machines a JPEG-degraded CIFAR-10 copy: accuracies are not comparable with the "
        + "paper's)" : "") + ".");
    notes.add("Ours: " + result.runs().stream().filter(o -> o.state() == RunState.DONE).count() + " of "
        + result.runs().size() + " runs done, " + Provenance.cpuModel() + ", " + LocalDate.now() + "; sweep "
        + plan.sweep().name() + ", run folders under " + plan.outDir() + ".");
    return notes;
  }

  /** configs/sweeps/FILE in the repository ({@code bsq.home}, set by ./bsq) or under the working directory. */
  static Path locate(String file) {
    List<Path> tried = new ArrayList<>();
    String home = System.getProperty("bsq.home");
    if (home != null) {
      tried.add(Path.of(home, "configs", "sweeps", file));
    }
    tried.add(Path.of("configs", "sweeps", file));
    tried.add(Path.of("..", "configs", "sweeps", file));
    for (Path p : tried) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new UsageException("cannot find the sweep file " + file + " (tried " + tried + "); run ./bsq from the "
        + "repository, or give it with --sweep FILE");
  }

  static String scaleLabel(double scale) {
    return scale == Math.rint(scale) ? String.valueOf((long) scale) : String.valueOf(scale);
  }

  private static void write(Path file, String text) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
