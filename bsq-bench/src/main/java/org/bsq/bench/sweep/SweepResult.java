package org.bsq.bench.sweep;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.bsq.core.harness.RunRecord;

/**
 * What a {@link SweepRunner#run} ended with: every run's final state.
 *
 * @param outDir the output folder
 * @param store the result store the runs were indexed into
 * @param runs one outcome per run, in the plan's order
 */
public record SweepResult(Path outDir, String store, List<Outcome> runs) {
  /**
   * One run's end.
   *
   * @param id the run
   * @param state DONE, FAILED, BLOCKED, WAITING (on a run another process is running) or RUNNING (another process holds
   *     its folder)
   * @param runDir its folder
   * @param record its finished record when done, else null
   * @param error why it failed, is blocked or waits; null when done
   * @param started whether this sweep started a child process for it (false: found done, or never ready)
   * @param seconds the child's wall-clock seconds (0 when none started)
   */
  public record Outcome(String id, RunState state, Path runDir, RunRecord record, String error, boolean started,
                        double seconds) {}

  public SweepResult {
    runs = List.copyOf(runs);
  }

  /** The outcome of a run. */
  public Outcome outcome(String id) {
    return runs.stream().filter(o -> o.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("run id must be one of this sweep's, was '" + id + "'"));
  }

  /** The outcomes by id. */
  public Map<String, Outcome> byId() {
    return runs.stream().collect(Collectors.toUnmodifiableMap(Outcome::id, Function.identity()));
  }

  /** How many child processes this sweep started. */
  public long childrenStarted() {
    return runs.stream().filter(Outcome::started).count();
  }

  /** Whether every run is done. */
  public boolean allDone() {
    return runs.stream().allMatch(o -> o.state() == RunState.DONE);
  }

  /** The sweep's exit code: 0 when every run is done, else 1. */
  public int exitCode() {
    return allDone() ? 0 : 1;
  }
}
