package org.bsq.bench.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;

/**
 * The state of every run of a plan, read from the output folder without writing or loading anything: done, running
 * (another process holds the folder's lock), failed, blocked, waiting or missing ({@link RunState}).
 *
 * @param plan the plan
 * @param runs one entry per run, in the plan's order
 */
public record SweepStatus(SweepPlan plan, List<Entry> runs) {
  /** The name of the note a failed child leaves when no failed {@code run.json} tells its error. */
  public static final String FAILURE_FILE = "sweep-failure.json";
  /** The child's output, appended to by every attempt. */
  public static final String LOG_FILE = "sweep.log";

  /**
   * One run's state.
   *
   * @param id the run
   * @param state its state
   * @param detail why (the error, the run waited for, the lock's holder); "" when there is nothing to add
   * @param runDir its folder
   * @param record its finished record when done, else null
   */
  public record Entry(String id, RunState state, String detail, Path runDir, RunRecord record) {}

  public SweepStatus {
    runs = List.copyOf(runs);
  }

  /**
   * Reads the state of every run of {@code plan} in its output folder. A run the plan left waiting is resolved when
   * the runs it refers to are done now.
   */
  public static SweepStatus of(SweepPlan plan) {
    Map<String, Entry> byId = new LinkedHashMap<>();
    for (PlannedRun planned : plan.runs()) {
      PlannedRun run = planned;
      if (run.configHash() == null && run.dependencies().stream().allMatch(d -> byId.get(d).record() != null)) {
        // the runs it refers to have finished since the plan was made: its configuration is known now
        try {
          run = plan.resolve(run, id -> byId.get(id).record());
        } catch (IllegalArgumentException e) {
          byId.put(run.id(), new Entry(run.id(), RunState.FAILED, e.getMessage(), run.runDir(), null));
          continue;
        }
      }
      byId.put(run.id(), entry(run, byId));
    }
    return new SweepStatus(plan, new ArrayList<>(byId.values()));
  }

  private static Entry entry(PlannedRun run, Map<String, Entry> earlier) {
    RunFolder folder = RunFolder.at(run.runDir());
    Path dir = folder.dir();
    if (folder.busy()) {
      return new Entry(run.id(), RunState.RUNNING, folder.lockHolder(), dir, null);
    }
    Entry folderState = null;
    if (run.configHash() != null && Files.isRegularFile(dir.resolve(RunFolder.CONFIG_FILE))) {
      try {
        String bound = folder.identity().configHash();
        if (!bound.equals(run.configHash())) {
          return new Entry(run.id(), RunState.FAILED, foreign(dir, bound, run.configHash()), dir, null);
        }
        switch (folder.state()) {
          case FINISHED:
            return new Entry(run.id(), RunState.DONE, "", dir,
                Harness.readFinishedRecord(dir.resolve(Harness.RUN_JSON)));
          case FAILED:
            RunRecord.Failure f = folder.record().error();
            folderState = new Entry(run.id(), RunState.FAILED, "failed during " + f.phase() + " (" + f.type() + ": "
                + f.message() + "); the next sweep retries it from its checkpoints", dir, null);
            break;
          default:
            folderState = new Entry(run.id(), RunState.MISSING, "interrupted; continues from its checkpoints", dir,
                null);
            break;
        }
      } catch (RuntimeException e) {
        return new Entry(run.id(), RunState.FAILED, "cannot read run folder " + dir + ": " + e.getMessage(), dir, null);
      }
    }
    for (String dep : run.dependencies()) {
      Entry d = earlier.get(dep);
      if (d.state() == RunState.FAILED || d.state() == RunState.BLOCKED) {
        return new Entry(run.id(), RunState.BLOCKED, "needs " + dep + ", which " + (d.state() == RunState.FAILED
            ? "failed" : "is blocked"), dir, null);
      }
    }
    List<String> unfinished = run.dependencies().stream()
        .filter(dep -> earlier.get(dep).state() != RunState.DONE).toList();
    if (!unfinished.isEmpty()) {
      return new Entry(run.id(), RunState.WAITING, "waiting for " + String.join(", ", unfinished), dir, null);
    }
    if (folderState != null) {
      return folderState;
    }
    String note = failureNote(dir);
    if (note != null) {
      return new Entry(run.id(), RunState.FAILED, note + "; the next sweep retries it", dir, null);
    }
    return new Entry(run.id(), RunState.MISSING, "", dir, null);
  }

  static String foreign(Path dir, String bound, String planned) {
    return "run folder " + dir + " holds a run of another configuration (" + bound + ", this sweep plans " + planned
        + "); change the run's id or remove the folder";
  }

  /** The message of the folder's failure note, or null without one. */
  static String failureNote(Path dir) {
    Path file = dir.resolve(FAILURE_FILE);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      JsonNode n = Json.readTree(file);
      return "failed (exit code " + n.path("exitCode").asInt() + "): " + n.path("message").asText();
    } catch (RuntimeException e) {
      return "failed (unreadable " + file + ")";
    }
  }

  /** The entry of a run. */
  public Entry entry(String id) {
    return runs.stream().filter(e -> e.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("run id must be one of this sweep's, was '" + id + "'"));
  }

  /** How many runs are in each state (every state listed, in the enum's order). */
  public Map<RunState, Integer> counts() {
    Map<RunState, Integer> m = new EnumMap<>(RunState.class);
    for (RunState s : RunState.values()) {
      m.put(s, 0);
    }
    runs.forEach(e -> m.merge(e.state(), 1, Integer::sum));
    return m;
  }

  /** One line per run (id, state, result or detail) and a line of counts. */
  public List<String> lines() {
    int width = runs.stream().mapToInt(e -> e.id().length()).max().orElse(2);
    List<String> out = new ArrayList<>();
    for (Entry e : runs) {
      String what = e.record() != null ? describe(e.record()) : e.detail();
      out.add(String.format(Locale.ROOT, "%-" + width + "s  %-8s %s", e.id(), e.state().label(), what).stripTrailing());
    }
    List<String> parts = new ArrayList<>();
    counts().forEach((s, n) -> {
      if (n > 0) {
        parts.add(n + " " + s.label());
      }
    });
    out.add("sweep " + plan.sweep().name() + ": " + runs.size() + " runs: " + String.join(", ", parts) + " (in "
        + plan.outDir() + ")");
    return out;
  }

  /** A finished record in a few numbers: top-1, average bits, seconds. */
  static String describe(RunRecord r) {
    return String.format(Locale.ROOT, "top-1 %.2f %%, avg bits %.3f, %.1f s", 100 * r.metrics().top1(),
        r.avgBits() == null ? Double.NaN : r.avgBits(), r.timings().totalSeconds());
  }
}
