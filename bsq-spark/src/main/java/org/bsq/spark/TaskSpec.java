package org.bsq.spark;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One Spark task: one planned run of a sweep, resolved (its references substituted, its hash known), with everything
 * the executor needs to run it as a child {@code bsq run}. Immutable and serializable (it travels to the executor).
 *
 * @param id the run's id
 * @param config the experiment file (absolute; must exist on the executor, e.g. a shared install)
 * @param overrides the resolved {@code KEY=VALUE} overrides
 * @param dependencies the runs it refers to (their folders are fetched from the artifacts location first)
 * @param configHash the resolved-config hash: the run's identity
 * @param outDir the sweep's output folder: the run lives in {@code outDir/id} (shared, or each executor's local working
 *     folder when {@code artifacts} is set)
 * @param budgetScale the budget scale
 * @param store the result store URL
 * @param artifacts the Hadoop file system URI of the run folders, or null (the output folder is shared)
 * @param javaOptions the child JVM's options
 * @param classPath the child's class path
 * @param lockWaitSeconds how long to wait while another process (a speculative or earlier attempt) holds the folder
 * @param syncSeconds how often a running run's folder is copied to {@code artifacts} (its checkpoints)
 */
public record TaskSpec(String id, String config, List<String> overrides, List<String> dependencies, String configHash,
                       String outDir, double budgetScale, String store, String artifacts, List<String> javaOptions,
                       String classPath, long lockWaitSeconds, long syncSeconds) implements Serializable {
  private static final long serialVersionUID = 1L;

  public TaskSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(configHash, "configHash (a run waiting for references is not a task)");
    overrides = List.copyOf(overrides);
    dependencies = List.copyOf(dependencies);
    javaOptions = List.copyOf(javaOptions);
    if (lockWaitSeconds < 0 || syncSeconds < 1) {
      throw new IllegalArgumentException("lockWaitSeconds must be >= 0 and syncSeconds >= 1, were " + lockWaitSeconds
          + " and " + syncSeconds);
    }
  }
}
