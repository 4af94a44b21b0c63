package org.bsq.bench.sweep;

/** Where a run of a sweep stands. */
public enum RunState {
  /** Its folder holds a finished record of its planned configuration. */
  DONE,
  /** A process (this sweep's child, or another process) holds its folder's lock. */
  RUNNING,
  /**
   * It failed (a record or a note of the failure is in its folder: the next sweep retries it, continuing from its
   * checkpoints), or its folder holds another configuration (never retried: change the id or remove the folder).
   */
  FAILED,
  /** A run it refers to failed or is blocked. */
  BLOCKED,
  /** A run it refers to has not finished yet. */
  WAITING,
  /** Not run yet, or interrupted (it continues from its checkpoints). */
  MISSING;

  /** The lower-case name shown by {@code bsq sweep status}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
