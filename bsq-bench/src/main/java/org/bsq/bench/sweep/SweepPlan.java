package org.bsq.bench.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bsq.bench.cli.BoundExperiment;
import org.bsq.bench.cli.UsageException;
import org.bsq.core.config.ConfigDocument;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.harness.RunRecord;

/**
 * A sweep bound at a budget scale into an output folder: its runs in the order they may run (each after the runs it
 * refers to; otherwise in file order), each with its resolved-config hash, computed by binding only (no data or model
 * is loaded). A run referring to a number of another run ({@code ${ID.avgBits}}) gets its hash once that run has
 * finished in the output folder; until then it is waiting. Immutable.
 */
public final class SweepPlan {
  private final SweepFile sweep;
  private final double budgetScale;
  private final Path outDir;
  private final List<PlannedRun> runs;
  private final Map<String, PlannedRun> byId;

  private SweepPlan(SweepFile sweep, double budgetScale, Path outDir, List<PlannedRun> runs) {
    this.sweep = sweep;
    this.budgetScale = budgetScale;
    this.outDir = outDir;
    this.runs = List.copyOf(runs);
    Map<String, PlannedRun> m = new LinkedHashMap<>();
    runs.forEach(r -> m.put(r.id(), r));
    this.byId = Map.copyOf(m);
  }

  static SweepPlan of(SweepFile sweep, double budgetScale, Path outDir) {
    if (!(budgetScale > 0) || Double.isInfinite(budgetScale)) {
      throw new IllegalArgumentException("--budget-scale must be a finite number > 0, was " + budgetScale);
    }
    Path out = outDir.toAbsolutePath().normalize();
    List<SweepFile.RunSpec> ordered = topological(sweep.runs());
    List<PlannedRun> planned = new ArrayList<>();
    Map<String, PlannedRun> byId = new HashMap<>();
    List<String> problems = new ArrayList<>();
    for (SweepFile.RunSpec spec : ordered) {
      PlannedRun run = new PlannedRun(spec.id(), spec.config(), spec.overrides(), spec.dependencies(),
          out.resolve(spec.id()), null, null);
      Map<String, RunRecord> finished = new HashMap<>();
      boolean known = true;
      for (Reference ref : spec.references()) {
        // a path is known at once, but what it names exists only when the run has finished (a strategy may check
        // that it exists when the configuration binds): every reference waits for its run
        if (!finished.containsKey(ref.id())) {
          RunRecord r = finishedRecord(byId.get(ref.id()));
          if (r == null) {
            known = false;
          } else {
            finished.put(ref.id(), r);
          }
        }
      }
      if (known) {
        try {
          run = resolve(run, out, budgetScale, finished::get);
        } catch (IllegalArgumentException e) {
          problems.add("run " + spec.id() + " (" + spec.config() + "): " + e.getMessage());
        }
      }
      planned.add(run);
      byId.put(run.id(), run);
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(sweep.source() + ": " + String.join("\n", problems));
    }
    return new SweepPlan(sweep, budgetScale, out, planned);
  }

  /** The finished record in a planned run's folder when the folder is bound to its planned hash, else null. */
  static RunRecord finishedRecord(PlannedRun run) {
    if (run == null || run.configHash() == null) {
      return null;
    }
    RunFolder folder = RunFolder.at(run.runDir());
    try {
      if (folder.state() == RunFolder.State.FINISHED && folder.identity().configHash().equals(run.configHash())) {
        return Harness.readFinishedRecord(run.runDir().resolve(Harness.RUN_JSON));
      }
    } catch (RuntimeException e) {
      return null; // unreadable: not finished as far as the plan is concerned (the runner reports it)
    }
    return null;
  }

  /**
   * {@code run} with its references substituted (paths from the plan, numbers from {@code finished}) and its hash.
   *
   * @throws IllegalArgumentException when a number is missing or the configuration does not bind
   */
  public PlannedRun resolve(PlannedRun run, Function<String, RunRecord> finished) {
    return resolve(run, outDir, budgetScale, finished);
  }

  private static PlannedRun resolve(PlannedRun run, Path out, double budgetScale,
                                    Function<String, RunRecord> finished) {
    List<String> resolved = new ArrayList<>();
    for (String o : run.overrides()) {
      int eq = o.indexOf('=');
      resolved.add(o.substring(0, eq + 1) + Reference.substitute(o.substring(eq + 1), out::resolve, id -> {
        RunRecord r = finished.apply(id);
        if (r == null) {
          throw new IllegalArgumentException("run " + id + " must have finished (run " + run.id() + " refers to its "
              + "record), has not");
        }
        return r;
      }));
    }
    try {
      ConfigDocument doc = ConfigDocument.read(run.config()).withOverrides(resolved);
      return run.resolved(resolved, BoundExperiment.bind(doc, budgetScale).configHash());
    } catch (UsageException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Kahn's order, taking among the ready runs the first in file order. */
  private static List<SweepFile.RunSpec> topological(List<SweepFile.RunSpec> runs) {
    List<SweepFile.RunSpec> left = new ArrayList<>(runs);
    List<SweepFile.RunSpec> out = new ArrayList<>();
    java.util.Set<String> placed = new java.util.HashSet<>();
    while (!left.isEmpty()) {
      SweepFile.RunSpec next = left.stream().filter(r -> placed.containsAll(r.dependencies())).findFirst()
          .orElseThrow(() -> new IllegalStateException("cycle among " + left)); // excluded by SweepFile
      left.remove(next);
      placed.add(next.id());
      out.add(next);
    }
    return out;
  }

  /** The sweep file planned. */
  public SweepFile sweep() {
    return sweep;
  }

  /** The budget scale every run gets. */
  public double budgetScale() {
    return budgetScale;
  }

  /** The output folder (absolute): a run lives in {@code OUT/ID}. */
  public Path outDir() {
    return outDir;
  }

  /** The runs, each after the runs it refers to. */
  public List<PlannedRun> runs() {
    return runs;
  }

  /**
   * The runs of one shard of this plan ({@code bsq sweep --shard I/N}), in this plan's order; the whole plan for
   * {@link Shard#ALL}. A run and the runs it refers to are always in the same shard ({@link Shard}).
   */
  public SweepPlan shard(Shard shard) {
    return shard.all() ? this : new SweepPlan(sweep, budgetScale, outDir, shard.select(runs));
  }

  /** The run of an id. */
  public PlannedRun run(String id) {
    PlannedRun r = byId.get(id);
    if (r == null) {
      throw new IllegalArgumentException("run id must be one of this sweep's " + byId.keySet() + ", was '" + id + "'");
    }
    return r;
  }
}
