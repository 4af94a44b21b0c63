package org.bsq.spark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.bsq.bench.store.ResultStore;
import org.bsq.bench.sweep.PlannedRun;
import org.bsq.bench.sweep.RunState;
import org.bsq.bench.sweep.SweepDistributor;
import org.bsq.bench.sweep.SweepPlan;
import org.bsq.bench.sweep.SweepResult;
import org.bsq.bench.sweep.SweepRunner;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;

/**
 * {@code bsq sweep --spark MASTER}: every missing run of a plan becomes one Spark task ({@link RunTasks}), in waves
 * (topological levels of the reference graph, each wave one Spark job), so a run starts once the runs it refers to
 * are done and their numbers resolve its configuration. Runs the store (or the shared output folder) holds finished
 * are done without a task; when nothing is missing no Spark context is even started. A run whose task reports a
 * failure is failed, the runs that refer to it are blocked, and the other runs go on. Registered for
 * {@link java.util.ServiceLoader} as a {@link SweepDistributor} named {@code spark}.
 */
public final class SparkSweepDistributor implements SweepDistributor {
  /** The JVM options Java 17 needs for Spark 3.5; also given to executors. */
  public static final List<String> ADD_OPENS = List.of("java.lang", "java.lang.invoke", "java.lang.reflect",
      "java.io", "java.net", "java.nio", "java.util", "java.util.concurrent", "java.util.concurrent.atomic",
      "sun.nio.ch", "sun.nio.cs", "sun.security.action", "sun.util.calendar").stream()
      .map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED").toList();
  /** Spark property: seconds a task waits while another process holds its run folder (default 3600). */
  public static final String LOCK_WAIT = "spark.bsq.lockWaitSeconds";
  /** Spark property: seconds between copies of a running run's folder to {@code --artifacts} (default 300). */
  public static final String SYNC_EVERY = "spark.bsq.artifactsSyncSeconds";

  private final Map<String, String> conf;

  /** The ServiceLoader's instance: Spark's configuration from {@code spark-submit} / {@code spark.*} properties. */
  public SparkSweepDistributor() {
    this(Map.of());
  }

  /** With extra Spark properties, set over the defaults (tests: a quiet, small, loopback-only context). */
  public SparkSweepDistributor(Map<String, String> conf) {
    this.conf = Map.copyOf(conf);
  }

  @Override
  public String name() {
    return "spark";
  }

  @Override
  public SweepResult run(SweepPlan plan, Request request) {
    Display out = new Display(request.progress());
    ResultStore store = ResultStore.open(request.store()); // created and migrated here, before any task opens it
    boolean sharedFolders = request.artifacts() == null;
    if (!sharedFolders) {
      Artifacts.open(request.artifacts(), conf); // a bad URI fails before anything runs
    }
    out.event(String.format(Locale.ROOT, "sweep %s: %d runs on spark %s (run folders %s, budget scale %s, store %s)",
        plan.sweep().name(), plan.runs().size(), request.master(), sharedFolders ? plan.outDir() + " (shared)"
            : request.artifacts() + " (working folder " + plan.outDir() + " on each executor)", plan.budgetScale(),
        request.store()));
    Map<String, SweepResult.Outcome> outcomes = new LinkedHashMap<>();
    Map<String, RunRecord> finished = new LinkedHashMap<>();
    JavaSparkContext sc = null;
    TaskEvents events = new TaskEvents(out::event);
    int wave = 0;
    try {
      while (true) {
        List<PlannedRun> ready = new ArrayList<>();
        for (PlannedRun planned : plan.runs()) {
          if (outcomes.containsKey(planned.id())) {
            continue;
          }
          SweepResult.Outcome settled = settle(planned, outcomes);
          if (settled != null) {
            if (settled.state() == RunState.BLOCKED) {
              outcomes.put(planned.id(), settled);
              out.event("sweep: blocked " + planned.id() + ": " + settled.error());
            }
            continue; // WAITING: on a run of this wave, or one running elsewhere (settled after the loop)
          }
          PlannedRun run = planned;
          if (run.configHash() == null) {
            try {
              run = plan.resolve(run, finished::get);
            } catch (IllegalArgumentException e) {
              outcomes.put(run.id(), outcome(run, RunState.FAILED, null, e.getMessage(), false, 0));
              out.event("sweep: FAILED " + run.id() + ": " + e.getMessage());
              continue;
            }
          }
          RunRecord done = doneRecord(run, store, sharedFolders);
          if (done != null) {
            finished.put(run.id(), done);
            outcomes.put(run.id(), outcome(run, RunState.DONE, done, null, false, 0));
            out.event("sweep: done " + run.id() + " (already finished: " + describe(done) + ")");
            continue;
          }
          ready.add(run);
        }
        if (ready.isEmpty()) {
          break;
        }
        wave++;
        if (sc == null) {
          sc = new JavaSparkContext(sparkConf(plan, request));
          sc.sc().addSparkListener(events);
          out.event("sweep: spark " + sc.sc().applicationId() + " on " + sc.master() + ", default parallelism "
              + sc.defaultParallelism());
        }
        List<TaskSpec> specs = new ArrayList<>();
        for (PlannedRun run : ready) {
          specs.add(spec(plan, run, request, sc.getConf()));
        }
        out.event("sweep: wave " + wave + ": " + ready.size() + " task(s): "
            + String.join(", ", ready.stream().map(PlannedRun::id).toList()));
        sc.setJobDescription("bsq sweep " + plan.sweep().name() + " wave " + wave);
        events.nextWave(ready.stream().map(PlannedRun::id).toList());
        List<TaskOutcome> results = sc.parallelize(specs, specs.size()).map(RunTasks::execute).collect();
        for (TaskOutcome t : results) {
          PlannedRun run = ready.stream().filter(r -> r.id().equals(t.id())).findFirst().orElseThrow();
          RunState state = RunState.valueOf(t.state());
          String where = String.format(Locale.ROOT, " (attempt %d on executor %s, %d thread(s))", t.attempt(),
              t.executor(), t.threads());
          if (state == RunState.DONE) {
            RunRecord r = Json.files().readValue(t.runJson(), RunRecord.class);
            finished.put(run.id(), r);
            outcomes.put(run.id(), outcome(run, RunState.DONE, r, null, t.started(), t.seconds()));
            out.event(String.format(Locale.ROOT, "sweep: done %s: %s%s%s", run.id(), describe(r),
                t.started() ? "" : " (found finished)", where));
          } else {
            outcomes.put(run.id(), outcome(run, state, null, t.error(), t.started(), t.seconds()));
            out.event(String.format(Locale.ROOT, "sweep: %s %s after %.1f s: %s%s",
                state == RunState.FAILED ? "FAILED" : "running elsewhere", run.id(), t.seconds(), t.error(), where));
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("a task's run.json could not be read: " + e.getMessage(), e);
    } finally {
      if (sc != null) {
        sc.stop();
      }
    }
    for (PlannedRun run : plan.runs()) { // left waiting on a run another process still runs
      outcomes.computeIfAbsent(run.id(), id -> outcome(run, RunState.WAITING, null, "waiting for "
          + String.join(", ", run.dependencies().stream().filter(d -> !finished.containsKey(d)).toList()),
          false, 0));
    }
    List<SweepResult.Outcome> ordered = plan.runs().stream().map(r -> outcomes.get(r.id())).toList();
    SweepResult result = new SweepResult(plan.outDir(), request.store(), ordered);
    Map<RunState, Integer> counts = new java.util.EnumMap<>(RunState.class);
    ordered.forEach(o -> counts.merge(o.state(), 1, Integer::sum));
    List<String> parts = new ArrayList<>();
    counts.forEach((s, n) -> parts.add(n + " " + s.label()));
    out.event("sweep " + plan.sweep().name() + ": " + String.join(", ", parts) + "; " + result.childrenStarted()
        + " run(s) started on spark in " + wave + " wave(s)");
    return result;
  }

  /** BLOCKED when a run it needs failed or is blocked; WAITING when one has no outcome or is not done; else null. */
  private static SweepResult.Outcome settle(PlannedRun run, Map<String, SweepResult.Outcome> outcomes) {
    for (String dep : run.dependencies()) {
      SweepResult.Outcome d = outcomes.get(dep);
      if (d != null && (d.state() == RunState.FAILED || d.state() == RunState.BLOCKED)) {
        return outcome(run, RunState.BLOCKED, null, "needs " + dep + ", which "
            + (d.state() == RunState.FAILED ? "failed" : "is blocked"), false, 0);
      }
    }
    for (String dep : run.dependencies()) {
      SweepResult.Outcome d = outcomes.get(dep);
      if (d == null || d.state() != RunState.DONE) {
        return outcome(run, RunState.WAITING, null, "waiting for " + dep, false, 0);
      }
    }
    return null;
  }

  /** The finished record of a run in the store (by hash) or, with shared folders, in its folder; else null. */
  private static RunRecord doneRecord(PlannedRun run, ResultStore store, boolean sharedFolders) {
    try {
      String text = store.runJson(run.configHash());
      if (text != null) {
        RunRecord r = Json.files().readValue(text, RunRecord.class);
        if (r.finished() && run.configHash().equals(r.configHash())) {
          return r;
        }
      }
    } catch (IOException | RuntimeException e) {
      // unreadable row: the task decides
    }
    if (!sharedFolders) {
      return null;
    }
    RunFolder folder = RunFolder.at(run.runDir());
    try {
      if (!folder.busy() && folder.state() == RunFolder.State.FINISHED
          && folder.identity().configHash().equals(run.configHash())) {
        Path runJson = run.runDir().resolve(Harness.RUN_JSON);
        RunRecord r = Harness.readFinishedRecord(runJson);
        store.index(runJson); // found done but not indexed (e.g. a local sweep ran it): the store stays complete
        return r;
      }
    } catch (RuntimeException e) {
      return null;
    }
    return null;
  }

  private TaskSpec spec(SweepPlan plan, PlannedRun run, Request request, SparkConf sc) {
    return new TaskSpec(run.id(), run.config().toString(), run.resolvedOverrides(), run.dependencies(),
        run.configHash(), plan.outDir().toString(), plan.budgetScale(), request.store(), request.artifacts(),
        request.javaOptions() != null ? request.javaOptions() : childJavaOptions(),
        request.classPath() != null ? request.classPath() : System.getProperty("java.class.path"),
        sc.getLong(LOCK_WAIT, 3600), sc.getLong(SYNC_EVERY, 300));
  }

  /** $BSQ_JAVA_OPTS, else this JVM's heap, stack and collector options and its -Dbsq.* properties (as SweepRunner). */
  static List<String> childJavaOptions() {
    String env = System.getenv(SweepRunner.JAVA_OPTS_ENV);
    if (env != null && !env.isBlank()) {
      return Arrays.stream(env.trim().split("\\s+")).toList();
    }
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-Xmx") || a.startsWith("-Xms") || a.startsWith("-Xss")
            || a.matches("-XX:\\+Use\\w*GC") || a.startsWith("-Dbsq.")).toList();
  }

  private SparkConf sparkConf(SweepPlan plan, Request request) {
    SparkConf c = new SparkConf(); // spark.* system properties: what spark-submit --conf (or -Dspark.*) set
    if (!c.contains("spark.master")) {
      c.setMaster(request.master()); // under spark-submit, its --master wins
    }
    if (!c.get("spark.master").startsWith("local")) {
      // a shared install: the executors load this JVM's class path (bsq-spark's task code, bsq's classes)
      c.setIfMissing("spark.executor.extraClassPath", System.getProperty("java.class.path"));
    }
    c.setIfMissing("spark.app.name", "bsq sweep " + plan.sweep().name());
    String opens = String.join(" ", ADD_OPENS);
    c.set("spark.executor.extraJavaOptions", (c.get("spark.executor.extraJavaOptions", "") + " " + opens).strip());
    conf.forEach(c::set);
    return c;
  }

  private static SweepResult.Outcome outcome(PlannedRun run, RunState state, RunRecord record, String error,
                                             boolean started, double seconds) {
    return new SweepResult.Outcome(run.id(), state, run.runDir(), record, error, started, seconds);
  }

  private static String describe(RunRecord r) {
    return String.format(Locale.ROOT, "top-1 %.2f %%, avg bits %.3f, %.1f s", 100 * r.metrics().top1(),
        r.avgBits() == null ? Double.NaN : r.avgBits(), r.timings().totalSeconds());
  }

  /** The status lines. */
  private record Display(java.io.PrintWriter out) {
    void event(String line) {
      out.println(line);
      out.flush();
    }
  }
}
