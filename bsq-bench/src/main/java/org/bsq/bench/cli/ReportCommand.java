package org.bsq.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.bsq.bench.report.Report;
import org.bsq.bench.report.ReportInputs;
import org.bsq.bench.report.ReportRun;
import org.bsq.bench.store.ResultStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bsq report}: one self-contained HTML page with tables, statistics and figures of finished runs. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Write OUT/report.html (self-contained: opens from disk) and OUT/figures/*.png|svg: Pareto fronts "
        + "(top-1 vs average bits, latency and energy per accelerator preset), per-layer bits, BSQ bit-plane "
        + "sparsity, training curves, a comparison table, mean and sd over seeds and significance tests between "
        + "strategies. Runs come from run folders (any folder holding run.json files at any depth) or from a result "
        + "store.")
final class ReportCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(arity = "0..*", paramLabel = "RUN_DIR", description = "Run folders, or folders that contain them.")
  List<Path> dirs = new ArrayList<>();

  @Option(names = "--store", paramLabel = "URL",
      description = "Take the runs from this result store instead of folders (as for bsq results).")
  String store;

  @Option(names = "--where", paramLabel = "COLUMN=VALUE",
      description = "With --store: keep runs with COLUMN=VALUE (also !=, <, >, <=, >=; repeatable, all must hold).")
  List<String> where = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder (created if missing).")
  Path out;

  @Override
  public Integer call() {
    if (dirs.isEmpty() == (store == null)) {
      throw new UsageException("give either RUN_DIR... or --store URL (" + (dirs.isEmpty() ? "neither" : "both")
          + " given)");
    }
    if (!where.isEmpty() && store == null) {
      throw new UsageException("--where " + where.get(0) + " filters a result store: it needs --store URL");
    }
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new UsageException("--out " + out + " must be a folder, is a file");
    }
    List<ReportRun> runs;
    if (store != null) {
      List<ResultStore.Filter> filters = new ArrayList<>();
      for (String w : where) {
        try {
          filters.add(ResultStore.Filter.parse(w));
        } catch (IllegalArgumentException e) {
          throw new UsageException("--where " + e.getMessage());
        }
      }
      ResultStore s = ResultStore.open(store);
      runs = UsageException.usage(() -> ReportInputs.fromStore(s, filters));
    } else {
      runs = UsageException.usage(() -> ReportInputs.fromFolders(dirs));
    }
    Path html = Report.write(runs, out);
    PrintWriter o = spec.commandLine().getOut();
    long failed = runs.stream().filter(r -> !r.finished()).count();
    o.printf("report of %d run%s (%d failed, listed only): %s%n", runs.size(), runs.size() == 1 ? "" : "s", failed,
        html);
    o.flush();
    return 0;
  }
}
