package org.bsq.bench.sweep;

import java.nio.file.Path;
import java.util.List;

/**
 * A run of a {@link SweepPlan}: what {@code bsq run} it is and where it lives.
 *
 * @param id the run's id
 * @param config the experiment file (absolute)
 * @param overrides its {@code KEY=VALUE} overrides in order, references not substituted
 * @param dependencies the runs it refers to (it runs after them)
 * @param runDir its run folder, {@code OUT/ID}
 * @param resolvedOverrides the overrides with references substituted, as the child {@code bsq run} gets them; null
 *     while the run waits for a number of a run that has not finished
 * @param configHash the resolved-config hash its run folder must be bound to; null while waiting likewise
 */
public record PlannedRun(String id, Path config, List<String> overrides, List<String> dependencies, Path runDir,
                         List<String> resolvedOverrides, String configHash) {
  public PlannedRun {
    overrides = List.copyOf(overrides);
    dependencies = List.copyOf(dependencies);
    resolvedOverrides = resolvedOverrides == null ? null : List.copyOf(resolvedOverrides);
  }

  /** Whether the run's configuration is not known yet (it refers to a number of an unfinished run). */
  public boolean waitingForReferences() {
    return configHash == null;
  }

  /** This run with its references substituted and its hash. */
  PlannedRun resolved(List<String> overrides, String hash) {
    return new PlannedRun(id, config, this.overrides, dependencies, runDir, overrides, hash);
  }
}
