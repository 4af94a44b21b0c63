package org.bsq.bench.sweep;

import java.io.PrintWriter;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Runs what is missing of a {@link SweepPlan} on a cluster instead of this machine's children ({@code bsq sweep
 * --spark MASTER}). Found through {@link ServiceLoader}: the implementation lives in a module of its own (bsq-spark,
 * docs/scale-out.md) whose dependencies stay off the default class path; bsq-bench never depends on it.
 * Implementations keep {@link SweepRunner}'s contract: a run's identity is its resolved-config hash, a run found done
 * is not run again, a failure is recorded and does not stop the other runs, a run whose reference failed is blocked.
 */
public interface SweepDistributor {
  /**
   * What to run where.
   *
   * @param master the cluster's master URL as the implementation takes it (Spark: {@code local[N]},
   *     {@code spark://host:7077}, {@code yarn}, {@code k8s://...})
   * @param store the result store URL every run is indexed into
   * @param artifacts where run folders are kept (a URI such as {@code hdfs://nn/bsq/NAME}, {@code s3a://bucket/x},
   *     {@code file:///shared/x}); null: the plan's output folder, which must then be shared by every executor
   * @param progress where the status lines go
   * @param javaOptions the JVM options of each run's child process (null: the implementation's default)
   * @param classPath the child's class path (null: this JVM's, which must then exist on every executor)
   */
  record Request(String master, String store, String artifacts, PrintWriter progress, List<String> javaOptions,
                 String classPath) {
    public Request {
      if (master == null || master.isBlank()) {
        throw new IllegalArgumentException("--spark must name a master (local[N], spark://HOST:PORT, yarn, "
            + "k8s://...), was '" + master + "'");
      }
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(progress, "progress");
      javaOptions = javaOptions == null ? null : List.copyOf(javaOptions);
    }
  }

  /** The distributor's name, as the command line's option names it ({@code spark}). */
  String name();

  /** Runs what is missing of {@code plan} and returns every run's outcome, in the plan's order. */
  SweepResult run(SweepPlan plan, Request request);

  /** The distributor of a name found on the class path, if any. */
  static Optional<SweepDistributor> find(String name) {
    for (SweepDistributor d : ServiceLoader.load(SweepDistributor.class, SweepDistributor.class.getClassLoader())) {
      if (d.name().equals(name)) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }
}
