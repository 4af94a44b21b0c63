package org.bsq.bench.reproduce;

import java.util.Objects;
import org.bsq.core.harness.RunRecord;

/**
 * What a table knows of one run of a sweep: its id, its state in words ("done", "failed", "blocked", "missing" ...),
 * its finished record when done, and the error when it failed.
 */
public record RunResult(String id, String state, RunRecord record, String error) {
  public RunResult {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    if (record != null && !RunRecord.STATUS_FINISHED.equals(record.status())) {
      throw new IllegalArgumentException("run " + id + ": a table reads finished records only, was '"
          + record.status() + "'");
    }
  }

  /** A finished run. */
  public static RunResult done(String id, RunRecord record) {
    return new RunResult(id, "done", Objects.requireNonNull(record, "record"), null);
  }

  /** A run without a finished record, in the given state. */
  public static RunResult notDone(String id, String state, String error) {
    return new RunResult(id, state, null, error);
  }

  /** Whether the run finished. */
  public boolean isDone() {
    return record != null;
  }
}
