package org.bsq.spark;

import java.io.Serializable;

/**
 * What a task sends back to the driver about its run. Immutable and serializable.
 *
 * @param id the run
 * @param state {@code DONE}, {@code FAILED} or {@code RUNNING} (another process still holds its folder), as
 *     {@link org.bsq.bench.sweep.RunState} names
 * @param error why it failed or is running elsewhere; null when done
 * @param runJson the run's whole {@code run.json} when done (the driver resolves references from it), else null
 * @param started whether this task started a child {@code bsq run} (false: found done)
 * @param seconds the child's wall-clock seconds (0 when none started)
 * @param attempt the Spark task attempt number (0 for the first)
 * @param executor the executor id and host that ran it
 * @param threads the child's OMP_NUM_THREADS
 */
public record TaskOutcome(String id, String state, String error, String runJson, boolean started, double seconds,
                          int attempt, String executor, int threads) implements Serializable {
  private static final long serialVersionUID = 1L;
}
