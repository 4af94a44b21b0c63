package org.bsq.bench.sweep;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bsq.bench.cli.BsqCli;
import org.bsq.bench.store.ResultStore;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;

/**
 * Runs what is missing of a {@link SweepPlan}: each run as a child {@code bsq run} process (so a native crash or an
 * out-of-memory error ends one run, not the sweep, and each child's OpenMP threads are its share of the cores), at most
 * {@link Options#jobs()} at a time, each after the runs it refers to. A run whose folder holds its finished record is
 * skipped (and re-indexed into the store); an interrupted or failed one is started again and continues from its
 * checkpoints; a folder of another configuration is reported failed and left alone. A failure never stops the other
 * runs; the runs that refer to a failed run are blocked. Killing this process kills its children (a shutdown hook), so
 * the next sweep continues them.
 */
public final class SweepRunner {
  /** Environment variable of the child JVM's options (as the {@code bsq} script reads it). */
  public static final String JAVA_OPTS_ENV = "BSQ_JAVA_OPTS";

  /**
   * How to run.
   *
   * @param jobs runs at a time (>= 1); the cores are split between them
   * @param store the result store URL or SQLite path; null: {@code $BSQ_RESULT_STORE}, else {@code OUT/results.db}
   * @param progress where the status lines go
   * @param interactive redraw one line per active run (a terminal) instead of printing events and summaries
   * @param javaOptions the child JVM's options; null: {@code $BSQ_JAVA_OPTS} split at spaces, else this JVM's heap,
   *     stack and collector options ({@code -Xmx}, {@code -Xms}, {@code -Xss}, {@code -XX:+Use...GC}) and its
   *     {@code -Dbsq.*} properties
   * @param classPath the child's class path; null: this JVM's {@code java.class.path}
   * @param summaryEvery how often a non-interactive progress summary is printed
   */
  public record Options(int jobs, String store, PrintWriter progress, boolean interactive, List<String> javaOptions,
                        String classPath, Duration summaryEvery) {
    public Options {
      if (jobs < 1) {
        throw new IllegalArgumentException("--jobs must be >= 1, was " + jobs);
      }
      java.util.Objects.requireNonNull(progress, "progress");
      javaOptions = javaOptions == null ? null : List.copyOf(javaOptions);
      summaryEvery = summaryEvery == null ? Duration.ofSeconds(30) : summaryEvery;
    }

    /** One job, the default store, non-interactive, this JVM's options and class path. */
    public static Options defaults(PrintWriter progress) {
      return new Options(1, null, progress, false, null, null, null);
    }

    public Options withJobs(int n) {
      return new Options(n, store, progress, interactive, javaOptions, classPath, summaryEvery);
    }

    public Options withStore(String url) {
      return new Options(jobs, url, progress, interactive, javaOptions, classPath, summaryEvery);
    }

    public Options withInteractive(boolean on) {
      return new Options(jobs, store, progress, on, javaOptions, classPath, summaryEvery);
    }

    public Options withJavaOptions(List<String> options) {
      return new Options(jobs, store, progress, interactive, options, classPath, summaryEvery);
    }

    public Options withClassPath(String cp) {
      return new Options(jobs, store, progress, interactive, javaOptions, cp, summaryEvery);
    }
  }

  private final Options options;

  public SweepRunner(Options options) {
    this.options = options;
  }

  /** The store a sweep into {@code outDir} uses when none is given. */
  public static String defaultStore(Path outDir) {
    String env = System.getenv(ResultStore.STORE_ENV);
    return env != null && !env.isBlank() ? env : "jdbc:sqlite:" + outDir.toAbsolutePath().resolve("results.db");
  }

  /** The OpenMP threads each of {@code jobs} children gets: the cores (or the parent's OMP_NUM_THREADS) split. */
  public static int threadsPerJob(int jobs) {
    int cores = Runtime.getRuntime().availableProcessors();
    String omp = System.getenv("OMP_NUM_THREADS");
    if (omp != null) {
      try {
        cores = Integer.parseInt(omp.trim());
      } catch (NumberFormatException e) {
        // not a number: the cores
      }
    }
    return Math.max(1, cores / jobs);
  }

  /** A child that ended. */
  private record Ended(Child child, int exitCode) {}

  /** A child process and what its reader keeps of its output. */
  private static final class Child {
    final PlannedRun run;
    final Process process;
    final long startNanos = System.nanoTime();
    final Instant started = Instant.now();
    volatile String lastLine = "";
    volatile String lastError = null;

    Child(PlannedRun run, Process process) {
      this.run = run;
      this.process = process;
    }
  }

  /** Runs what is missing of {@code plan} and returns every run's outcome. */
  public SweepResult run(SweepPlan plan) {
    String store = options.store() != null ? options.store() : defaultStore(plan.outDir());
    Map<String, SweepResult.Outcome> outcomes = new LinkedHashMap<>();
    Map<String, RunRecord> finished = new ConcurrentHashMap<>();
    List<PlannedRun> pending = new ArrayList<>(plan.runs());
    Map<String, Child> active = new ConcurrentHashMap<>(); // the shutdown hook reads it too
    BlockingQueue<Ended> ended = new LinkedBlockingQueue<>();
    Display display = new Display(options.progress(), options.interactive());
    int threads = threadsPerJob(options.jobs());
    Thread hook = new Thread(() -> List.copyOf(active.values()).forEach(c -> kill(c.process)),
        "bsq-sweep-children");
    Runtime.getRuntime().addShutdownHook(hook);
    List<Path> toIndex = new ArrayList<>();
    display.event(String.format(Locale.ROOT, "sweep %s: %d runs into %s (%d at a time, OMP_NUM_THREADS=%d each, "
        + "budget scale %s, store %s)", plan.sweep().name(), plan.runs().size(), plan.outDir(), options.jobs(), threads,
        plan.budgetScale(), store));
    try {
      // the runs found done: recorded (and re-indexed) before anything starts
      List<Path> foundDone = new ArrayList<>();
      for (PlannedRun run : plan.runs()) {
        RunRecord r = SweepPlan.finishedRecord(run);
        if (r != null) {
          finished.put(run.id(), r);
          outcomes.put(run.id(), new SweepResult.Outcome(run.id(), RunState.DONE, run.runDir(), r, null, false, 0));
          foundDone.add(run.runDir().resolve(Harness.RUN_JSON));
          pending.remove(run);
          display.event("sweep: done " + run.id() + " (already finished: " + SweepStatus.describe(r) + ")");
        }
      }
      index(store, foundDone, display);
      long lastSummary = System.nanoTime();
      while (!pending.isEmpty() || !active.isEmpty()) {
        for (PlannedRun run : new ArrayList<>(pending)) {
          if (active.size() >= options.jobs()) {
            break;
          }
          SweepResult.Outcome settled = settleDependencies(run, outcomes);
          if (settled != null) {
            pending.remove(run);
            outcomes.put(run.id(), settled);
            display.event("sweep: " + settled.state().label() + " " + run.id() + ": " + settled.error());
            continue;
          }
          if (!run.dependencies().stream().allMatch(finished::containsKey)) {
            continue; // a run it needs is pending or active
          }
          pending.remove(run);
          SweepResult.Outcome now = start(plan, run, finished, threads, store, active, ended, display);
          if (now != null) {
            outcomes.put(run.id(), now);
          }
        }
        if (active.isEmpty()) {
          if (!pending.isEmpty()) {
            throw new IllegalStateException("sweep cannot start any of " + pending); // excluded by the plan's order
          }
          break;
        }
        Ended e = ended.poll(display.interactive ? 1 : 5, TimeUnit.SECONDS);
        if (e != null) {
          active.remove(e.child().run.id());
          SweepResult.Outcome o = finish(e, finished, display);
          outcomes.put(o.id(), o);
          if (Files.isRegularFile(o.runDir().resolve(Harness.RUN_JSON))) {
            toIndex.add(o.runDir().resolve(Harness.RUN_JSON));
          }
        }
        if (display.interactive) {
          display.redraw(active.values());
        } else if (System.nanoTime() - lastSummary >= options.summaryEvery().toNanos()) {
          lastSummary = System.nanoTime();
          display.event(summary(plan, outcomes, active, pending));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      active.values().forEach(c -> kill(c.process));
      throw new IllegalStateException("sweep interrupted; its children were stopped", e);
    } finally {
      active.values().forEach(c -> kill(c.process));
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs
      }
    }
    index(store, toIndex, display); // finished runs again (cheap) and failed ones (their children do not index them)
    List<SweepResult.Outcome> ordered = plan.runs().stream().map(r -> outcomes.get(r.id())).toList();
    SweepResult result = new SweepResult(plan.outDir(), store, ordered);
    display.clear();
    display.event(summary(plan, outcomes, Map.of(), List.of()));
    return result;
  }

  /** BLOCKED when a run it needs failed or is blocked, WAITING when one is left running by another process. */
  private static SweepResult.Outcome settleDependencies(PlannedRun run, Map<String, SweepResult.Outcome> outcomes) {
    for (String dep : run.dependencies()) {
      SweepResult.Outcome d = outcomes.get(dep);
      if (d == null) {
        continue;
      }
      if (d.state() == RunState.FAILED || d.state() == RunState.BLOCKED) {
        return new SweepResult.Outcome(run.id(), RunState.BLOCKED, run.runDir(), null, "needs " + dep + ", which "
            + (d.state() == RunState.FAILED ? "failed" : "is blocked"), false, 0);
      }
      if (d.state() == RunState.RUNNING || d.state() == RunState.WAITING) {
        return new SweepResult.Outcome(run.id(), RunState.WAITING, run.runDir(), null, "waiting for " + dep + ", which "
            + (d.state() == RunState.RUNNING ? "another process is running" : "waits"), false, 0);
      }
    }
    return null;
  }

  /** Starts a ready run's child, or returns its outcome when it needs none (done, foreign, busy, unbindable). */
  private SweepResult.Outcome start(SweepPlan plan, PlannedRun planned, Map<String, RunRecord> finished, int threads,
                                    String store, Map<String, Child> active, BlockingQueue<Ended> ended,
                                    Display display) {
    PlannedRun run = planned;
    Path dir = run.runDir();
    if (run.configHash() == null) {
      try {
        run = plan.resolve(run, finished::get);
      } catch (IllegalArgumentException e) {
        display.event("sweep: FAILED " + run.id() + ": " + e.getMessage());
        return new SweepResult.Outcome(run.id(), RunState.FAILED, dir, null, e.getMessage(), false, 0);
      }
    }
    RunFolder folder = RunFolder.at(dir);
    if (folder.busy()) {
      String who = "its folder is in use by another process (" + folder.lockHolder() + ")";
      display.event("sweep: running " + run.id() + " elsewhere: " + who);
      return new SweepResult.Outcome(run.id(), RunState.RUNNING, dir, null, who, false, 0);
    }
    String note = "";
    if (Files.isRegularFile(dir.resolve(RunFolder.CONFIG_FILE))) {
      try {
        String bound = folder.identity().configHash();
        if (!bound.equals(run.configHash())) {
          String why = SweepStatus.foreign(dir, bound, run.configHash());
          display.event("sweep: FAILED " + run.id() + ": " + why);
          return new SweepResult.Outcome(run.id(), RunState.FAILED, dir, null, why, false, 0);
        }
        RunFolder.State state = folder.state();
        if (state == RunFolder.State.FINISHED) {
          RunRecord r = Harness.readFinishedRecord(dir.resolve(Harness.RUN_JSON));
          finished.put(run.id(), r);
          display.event("sweep: done " + run.id() + " (already finished: " + SweepStatus.describe(r) + ")");
          return new SweepResult.Outcome(run.id(), RunState.DONE, dir, r, null, false, 0);
        }
        if (state == RunFolder.State.FAILED) {
          RunRecord.Failure f = folder.record().error();
          note = " (retrying: the previous attempt failed during " + f.phase() + ": " + f.message() + ")";
        } else {
          note = " (continuing the interrupted run from its checkpoints)";
        }
      } catch (RuntimeException e) {
        String why = "cannot read run folder " + dir + ": " + e.getMessage();
        display.event("sweep: FAILED " + run.id() + ": " + why);
        return new SweepResult.Outcome(run.id(), RunState.FAILED, dir, null, why, false, 0);
      }
    } else if (SweepStatus.failureNote(dir) != null) {
      note = " (retrying: " + SweepStatus.failureNote(dir) + ")";
    }
    List<String> command = command(plan, run, store);
    Process process;
    Path log = dir.resolve(SweepStatus.LOG_FILE);
    try {
      Files.createDirectories(dir);
      Files.writeString(log, "\n=== " + Instant.now() + " bsq sweep starts: " + String.join(" ", command) + "\n",
          StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
      process = pb.start();
    } catch (IOException e) {
      String why = "cannot start its child process: " + e.getMessage();
      display.event("sweep: FAILED " + run.id() + ": " + why);
      return new SweepResult.Outcome(run.id(), RunState.FAILED, dir, null, why, false, 0);
    }
    Child child = new Child(run, process);
    active.put(run.id(), child);
    Thread reader = new Thread(() -> pump(child, log, ended), "bsq-sweep-" + run.id());
    reader.setDaemon(true);
    reader.start();
    display.event("sweep: start " + run.id() + note);
    return null;
  }

  private List<String> command(SweepPlan plan, PlannedRun run, String store) {
    List<String> c = new ArrayList<>();
    c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    c.addAll(javaOptions());
    c.add("-cp");
    c.add(options.classPath() != null ? options.classPath() : System.getProperty("java.class.path"));
    c.add(BsqCli.class.getName());
    c.add("run");
    c.add(run.config().toString());
    for (String o : run.resolvedOverrides()) {
      c.add("--set");
      c.add(o);
    }
    // --exit-with-parent: a sweep killed outright (kill -9) takes its runs with it; they continue from their
    // checkpoints when the sweep is started again
    c.addAll(List.of("--out", run.runDir().toString(), "--budget-scale", String.valueOf(plan.budgetScale()), "--json",
        "--store", store, "--exit-with-parent"));
    return c;
  }

  private List<String> javaOptions() {
    if (options.javaOptions() != null) {
      return options.javaOptions();
    }
    String env = System.getenv(JAVA_OPTS_ENV);
    if (env != null && !env.isBlank()) {
      return Arrays.stream(env.trim().split("\\s+")).toList();
    }
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-Xmx") || a.startsWith("-Xms") || a.startsWith("-Xss")
            || a.matches("-XX:\\+Use\\w*GC") || a.startsWith("-Dbsq.")).toList();
  }

  /** Copies the child's output into its log, keeping its last line and its last {@code bsq:} line. */
  private static void pump(Child child, Path log, BlockingQueue<Ended> ended) {
    try (InputStream in = child.process.getInputStream();
         OutputStream out = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      byte[] buf = new byte[8192];
      StringBuilder line = new StringBuilder();
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        out.flush();
        String text = new String(buf, 0, n, StandardCharsets.UTF_8);
        for (char ch : text.toCharArray()) {
          if (ch == '\n' || ch == '\r') {
            take(child, line.toString());
            line.setLength(0);
          } else {
            line.append(ch);
          }
        }
      }
      take(child, line.toString());
    } catch (IOException e) {
      child.lastError = "cannot copy its output to " + log + ": " + e.getMessage();
    }
    int code;
    try {
      code = child.process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill(child.process);
      code = -1;
    }
    ended.add(new Ended(child, code));
  }

  private static void take(Child child, String line) {
    String l = line.strip();
    if (l.isEmpty()) {
      return;
    }
    if (l.startsWith("bsq:")) {
      child.lastError = l.substring(4).strip();
    }
    if (!l.startsWith("{")) {
      child.lastLine = l;
    }
  }

  private static SweepResult.Outcome finish(Ended e, Map<String, RunRecord> finished, Display display) {
    Child c = e.child();
    PlannedRun run = c.run;
    Path dir = run.runDir();
    double seconds = (System.nanoTime() - c.startNanos) / 1e9;
    Path runJson = dir.resolve(Harness.RUN_JSON);
    RunRecord record = null;
    try {
      if (Files.isRegularFile(runJson)) {
        record = Harness.readRecord(runJson);
      }
    } catch (RuntimeException ex) {
      record = null;
    }
    boolean fresh = false;
    try {
      fresh = record != null && !Files.getLastModifiedTime(runJson).toInstant().isBefore(c.started.minusSeconds(1));
    } catch (IOException ex) {
      fresh = false;
    }
    if (record != null && record.finished() && run.configHash().equals(record.configHash())) {
      try {
        Files.deleteIfExists(dir.resolve(SweepStatus.FAILURE_FILE));
      } catch (IOException ex) {
        // a stale note is overridden by the record
      }
      finished.put(run.id(), record);
      display.event(String.format(Locale.ROOT, "sweep: done %s: %s%s", run.id(), SweepStatus.describe(record),
          e.exitCode() == 0 ? "" : " (its child exited with " + e.exitCode() + ": " + c.lastError + ")"));
      return new SweepResult.Outcome(run.id(), RunState.DONE, dir, record, null, true, seconds);
    }
    String error;
    if (record != null && fresh && !record.finished() && record.error() != null) {
      RunRecord.Failure f = record.error();
      error = "failed during " + f.phase() + " (" + f.type() + ": " + f.message() + ")";
    } else {
      error = (c.lastError != null ? c.lastError : "its child exited with code " + e.exitCode() + " (see "
          + dir.resolve(SweepStatus.LOG_FILE) + ")");
      Map<String, Object> note = new LinkedHashMap<>();
      note.put("exitCode", e.exitCode());
      note.put("message", error);
      note.put("time", Instant.now().toString());
      try {
        Files.createDirectories(dir);
        Json.writeFile(dir.resolve(SweepStatus.FAILURE_FILE), note);
      } catch (RuntimeException | IOException ex) {
        error += " (and its failure note could not be written: " + ex.getMessage() + ")";
      }
    }
    display.event(String.format(Locale.ROOT, "sweep: FAILED %s after %.1f s (exit code %d): %s; log: %s", run.id(),
        seconds, e.exitCode(), error, dir.resolve(SweepStatus.LOG_FILE)));
    return new SweepResult.Outcome(run.id(), RunState.FAILED, dir, null, error, true, seconds);
  }

  private static void index(String store, List<Path> runJsons, Display display) {
    if (runJsons.isEmpty()) {
      return;
    }
    try {
      ResultStore s = ResultStore.open(store);
      for (Path p : runJsons) {
        try {
          s.index(p);
        } catch (RuntimeException e) {
          display.event("sweep: cannot index " + p + " into " + store + ": " + e.getMessage());
        }
      }
    } catch (RuntimeException e) {
      display.event("sweep: cannot open result store " + store + ": " + e.getMessage());
    }
  }

  private static String summary(SweepPlan plan, Map<String, SweepResult.Outcome> outcomes, Map<String, Child> active,
                                List<PlannedRun> pending) {
    Map<RunState, Integer> counts = new java.util.EnumMap<>(RunState.class);
    outcomes.values().forEach(o -> counts.merge(o.state(), 1, Integer::sum));
    List<String> parts = new ArrayList<>();
    counts.forEach((s, n) -> parts.add(n + " " + s.label()));
    if (!active.isEmpty()) {
      List<String> running = new ArrayList<>();
      active.values().forEach(c -> running.add(c.run.id() + ": " + shorten(c.lastLine, 80)));
      parts.add(active.size() + " running (" + String.join("; ", running) + ")");
    }
    if (!pending.isEmpty()) {
      parts.add(pending.size() + " to go");
    }
    return "sweep " + plan.sweep().name() + ": " + String.join(", ", parts);
  }

  static String shorten(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }

  /** Ends a child and its own children: politely, then by force after a few seconds. */
  private static void kill(Process p) {
    if (!p.isAlive()) {
      return;
    }
    p.descendants().forEach(ProcessHandle::destroy);
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }

  /** The status lines: events, and either a redrawn block of active runs (a terminal) or periodic summaries. */
  private static final class Display {
    private final PrintWriter out;
    private final boolean interactive;
    private int drawn;

    Display(PrintWriter out, boolean interactive) {
      this.out = out;
      this.interactive = interactive;
    }

    void event(String line) {
      clear();
      out.println(line);
      out.flush();
    }

    void clear() {
      if (interactive && drawn > 0) {
        out.print("\033[" + drawn + "A");
        for (int i = 0; i < drawn; i++) {
          out.print("\033[2K\n");
        }
        out.print("\033[" + drawn + "A");
        drawn = 0;
        out.flush();
      }
    }

    void redraw(java.util.Collection<Child> active) {
      clear();
      for (Child c : active) {
        out.printf(Locale.ROOT, "  %s [%.0f s] %s%n", c.run.id(), (System.nanoTime() - c.startNanos) / 1e9,
            shorten(c.lastLine, 110));
      }
      drawn = active.size();
      out.flush();
    }
  }
}
