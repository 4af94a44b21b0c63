package org.bsq.spark;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.bsq.bench.cli.BsqCli;
import org.bsq.bench.store.ResultStore;
import org.bsq.bench.sweep.RunState;
import org.bsq.bench.sweep.SweepStatus;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;

/**
 * The executor's side of {@code bsq sweep --spark}: one task runs one run as a child {@code bsq run} process, as the
 * local sweep does (docs/decisions/0014-spark-scale-out.md), with {@code OMP_NUM_THREADS} = the task's CPUs
 * ({@code spark.task.cpus}). Idempotent: a run the store or its folder holds finished returns at once; a folder held by
 * another attempt (speculation, a retry racing a dying one) is waited for and then checked again; an interrupted folder
 * continues from its checkpoints. The child exits when this executor dies ({@code bsq run --exit-with-parent}), so a
 * lost executor leaves no process holding the folder's lock. A run's failure is returned, never thrown: it does not
 * fail the Spark job.
 */
public final class RunTasks {
  /** The attempt lock's name after {@code .ID} in the working folder ({@link #run}). */
  public static final String ATTEMPT_LOCK_SUFFIX = ".attempt.lock";

  private RunTasks() {}

  /** Spark's entry point, called once per task in the executor. */
  public static TaskOutcome execute(TaskSpec spec) {
    TaskContext tc = TaskContext.get();
    int attempt = tc == null ? 0 : tc.attemptNumber();
    int threads = tc == null ? 1 : Math.max(1, tc.cpus());
    SparkEnv env = SparkEnv.get();
    String executor = env == null ? "driver" : env.executorId() + "@" + env.blockManager().blockManagerId().host();
    Map<String, String> conf = new HashMap<>();
    if (env != null) {
      for (scala.Tuple2<String, String> kv : env.conf().getAll()) {
        conf.put(kv._1(), kv._2());
      }
    }
    return run(spec, attempt, threads, executor, conf);
  }

  /**
   * Runs {@code spec} here; {@link #execute} with the task's attempt, CPUs, executor and Spark configuration. Attempts
   * of one run that meet in one working folder (a speculative copy, a retry racing a dying attempt, two tasks of one
   * executor) take turns through an OS lock on {@code OUT/.ID.attempt.lock}: the later one waits, then finds the run
   * done. Without it, a later attempt could replace the local folder with an older artifacts copy while the earlier
   * one's child still works in it.
   */
  static TaskOutcome run(TaskSpec spec, int attempt, int threads, String executor, Map<String, String> sparkConf) {
    String stored = storedRunJson(spec);
    if (stored != null) {
      return new TaskOutcome(spec.id(), RunState.DONE.name(), null, stored, false, 0, attempt, executor, threads);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(spec.lockWaitSeconds());
    Path lockFile = Path.of(spec.outDir()).resolve("." + spec.id() + ATTEMPT_LOCK_SUFFIX);
    FileChannel channel;
    try {
      Files.createDirectories(lockFile.getParent());
      channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      return failed(spec, "cannot open " + lockFile + " (the working folder must be writable): " + e.getMessage(),
          attempt, executor, threads, false, 0);
    }
    try (channel) {
      FileLock lock = null;
      while (lock == null) {
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException sameJvm) {
          lock = null; // another task of this executor holds it
        }
        if (lock == null) {
          if (System.nanoTime() > deadline) {
            return new TaskOutcome(spec.id(), RunState.RUNNING.name(), "another attempt of run " + spec.id()
                + " holds " + lockFile, null, false, 0, attempt, executor, threads);
          }
          sleep(1000);
        }
      }
      try {
        return runLocked(spec, attempt, threads, executor, sparkConf, deadline);
      } finally {
        lock.release();
      }
    } catch (IOException e) {
      return failed(spec, "cannot lock " + lockFile + ": " + e.getMessage(), attempt, executor, threads, false, 0);
    }
  }

  /** {@link #run} under the attempt lock. */
  private static TaskOutcome runLocked(TaskSpec spec, int attempt, int threads, String executor,
                                       Map<String, String> sparkConf, long deadline) {
    Path dir = Path.of(spec.outDir()).resolve(spec.id());
    String stored = storedRunJson(spec); // an attempt this one waited for may have finished it
    if (stored != null) {
      return new TaskOutcome(spec.id(), RunState.DONE.name(), null, stored, false, 0, attempt, executor, threads);
    }
    Artifacts artifacts = spec.artifacts() == null ? null : Artifacts.open(spec.artifacts(), sparkConf);
    String lastError = null;
    for (int round = 0; round < 3; round++) {
      boolean waited = false;
      while (RunFolder.at(dir).busy()) {
        if (System.nanoTime() > deadline) {
          return new TaskOutcome(spec.id(), RunState.RUNNING.name(), "its folder " + dir + " is in use by another "
              + "process (" + RunFolder.at(dir).lockHolder() + ")", null, false, 0, attempt, executor, threads);
        }
        waited = true;
        sleep(1000);
      }
      if (waited) {
        stored = storedRunJson(spec); // the other attempt may have finished it
        if (stored != null) {
          return new TaskOutcome(spec.id(), RunState.DONE.name(), null, stored, false, 0, attempt, executor, threads);
        }
      }
      if (artifacts != null) {
        fetch(spec, dir, artifacts);
      }
      if (Files.isRegularFile(dir.resolve(RunFolder.CONFIG_FILE))) {
        try {
          RunFolder folder = RunFolder.at(dir);
          String bound = folder.identity().configHash();
          if (!bound.equals(spec.configHash())) {
            return failed(spec, "run folder " + dir + " holds a run of another configuration (" + bound + ", this "
                + "sweep plans " + spec.configHash() + "); change the run's id or remove the folder", attempt,
                executor, threads, false, 0);
          }
          if (folder.state() == RunFolder.State.FINISHED) {
            String text = Files.readString(dir.resolve(Harness.RUN_JSON), StandardCharsets.UTF_8);
            if (artifacts != null && !artifacts.exists(spec.id())) {
              upload(spec, dir, artifacts, new Object()); // finished here, its final copy never arrived
            }
            index(spec, dir, artifacts, text);
            return new TaskOutcome(spec.id(), RunState.DONE.name(), null, text, false, 0, attempt, executor, threads);
          }
        } catch (IOException | RuntimeException e) {
          return failed(spec, "cannot read run folder " + dir + ": " + e.getMessage(), attempt, executor, threads,
              false, 0);
        }
      }
      long start = System.nanoTime();
      int exit = child(spec, dir, threads, artifacts, executor, attempt);
      double seconds = (System.nanoTime() - start) / 1e9;
      Path runJson = dir.resolve(Harness.RUN_JSON);
      RunRecord record = null;
      String text = null;
      try {
        if (Files.isRegularFile(runJson)) {
          text = Files.readString(runJson, StandardCharsets.UTF_8);
          record = Json.files().readValue(text, RunRecord.class);
        }
      } catch (IOException | RuntimeException e) {
        record = null;
      }
      if (record != null && record.finished() && spec.configHash().equals(record.configHash())) {
        try {
          Files.deleteIfExists(dir.resolve(SweepStatus.FAILURE_FILE));
        } catch (IOException e) {
          // the record overrides a stale note
        }
        index(spec, dir, artifacts, text);
        return new TaskOutcome(spec.id(), RunState.DONE.name(), null, text, true, seconds, attempt, executor, threads);
      }
      if (record != null && !record.finished() && record.error() != null) {
        RunRecord.Failure f = record.error();
        lastError = "failed during " + f.phase() + " (" + f.type() + ": " + f.message() + ")";
        return failed(spec, lastError, attempt, executor, threads, true, seconds);
      }
      lastError = lastBsqLine(dir.resolve(SweepStatus.LOG_FILE));
      lastError = lastError != null ? lastError : "its child exited with code " + exit + " (see "
          + dir.resolve(SweepStatus.LOG_FILE) + " on " + executor + ")";
      if (!RunFolder.at(dir).busy()) {
        writeNote(dir, exit, lastError);
        return failed(spec, lastError, attempt, executor, threads, true, seconds);
      }
      // another attempt took the folder between our check and our child's start: wait for it and check again
    }
    return failed(spec, lastError, attempt, executor, threads, true, 0);
  }

  private static TaskOutcome failed(TaskSpec spec, String error, int attempt, String executor, int threads,
                                    boolean started, double seconds) {
    return new TaskOutcome(spec.id(), RunState.FAILED.name(), error, null, started, seconds, attempt, executor,
        threads);
  }

  /** The store's run.json of the run's hash when it is a finished record, else null (also when the store fails). */
  static String storedRunJson(TaskSpec spec) {
    try {
      String text = ResultStore.open(spec.store()).runJson(spec.configHash());
      if (text == null) {
        return null;
      }
      RunRecord r = Json.files().readValue(text, RunRecord.class);
      return r.finished() && spec.configHash().equals(r.configHash()) ? text : null;
    } catch (IOException | RuntimeException e) {
      return null; // the folder check and the child's own indexing still hold
    }
  }

  /** With an artifacts location: the run's own folder (to resume) and the folders of the runs it refers to. */
  private static void fetch(TaskSpec spec, Path dir, Artifacts artifacts) {
    Path out = Path.of(spec.outDir());
    for (String dep : spec.dependencies()) {
      Path depDir = out.resolve(dep);
      if (!Files.isRegularFile(depDir.resolve(Harness.RUN_JSON)) && artifacts.exists(dep)) {
        artifacts.download(dep, depDir);
      }
    }
    if (artifacts.exists(spec.id()) && !finishedHere(dir, spec)) {
      artifacts.download(spec.id(), dir); // the shared copy wins over an unfinished one an earlier attempt left here
    }
  }

  /** Whether {@code dir} holds this run finished (a local copy whose final upload may have failed). */
  private static boolean finishedHere(Path dir, TaskSpec spec) {
    try {
      RunFolder folder = RunFolder.at(dir);
      return Files.isRegularFile(dir.resolve(RunFolder.CONFIG_FILE)) && folder.state() == RunFolder.State.FINISHED
          && folder.identity().configHash().equals(spec.configHash());
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The child {@code bsq run}; its output is appended to the folder's sweep.log. Returns its exit code. */
  private static int child(TaskSpec spec, Path dir, int threads, Artifacts artifacts, String executor, int attempt) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(spec.javaOptions());
    command.addAll(List.of("-cp", spec.classPath(), BsqCli.class.getName(), "run", spec.config()));
    for (String o : spec.overrides()) {
      command.add("--set");
      command.add(o);
    }
    command.addAll(List.of("--out", dir.toString(), "--budget-scale", String.valueOf(spec.budgetScale()), "--json",
        "--store", spec.store(), "--exit-with-parent"));
    Path log = dir.resolve(SweepStatus.LOG_FILE);
    ScheduledExecutorService sync = null;
    Process process = null;
    try {
      Files.createDirectories(dir);
      Files.writeString(log, "\n=== " + Instant.now() + " bsq sweep --spark starts (executor " + executor
          + ", attempt " + attempt + ", OMP_NUM_THREADS=" + threads + "): " + String.join(" ", command) + "\n",
          StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
      process = pb.start();
      if (artifacts != null) {
        sync = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "bsq-artifacts-sync-" + spec.id());
          t.setDaemon(true);
          return t;
        });
        Object lock = new Object();
        sync.scheduleWithFixedDelay(() -> upload(spec, dir, artifacts, lock), spec.syncSeconds(), spec.syncSeconds(),
            TimeUnit.SECONDS);
      }
      return process.waitFor();
    } catch (IOException e) {
      appendQuietly(log, "bsq: cannot start its child process: " + e.getMessage() + "\n");
      return -1;
    } catch (InterruptedException e) {
      // Spark killed the task (a speculative copy won, or the job was cancelled): end the child, keep the flag
      Thread.currentThread().interrupt();
      throw new IllegalStateException("task of run " + spec.id() + " was killed; its child was stopped", e);
    } finally {
      if (process != null && process.isAlive()) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
          if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
          }
        } catch (InterruptedException ie) {
          process.destroyForcibly();
        }
      }
      if (sync != null) {
        sync.shutdownNow();
        try {
          sync.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
      if (artifacts != null) {
        upload(spec, dir, artifacts, new Object()); // the final state, finished or not (checkpoints to resume from)
      }
    }
  }

  private static void upload(TaskSpec spec, Path dir, Artifacts artifacts, Object lock) {
    synchronized (lock) {
      try {
        if (Files.isDirectory(dir)) {
          artifacts.upload(dir, spec.id());
        }
      } catch (RuntimeException e) {
        appendQuietly(dir.resolve(SweepStatus.LOG_FILE), "bsq sweep --spark: " + e.getMessage() + " (tried again "
            + "later)\n");
      }
    }
  }

  /** Indexes a finished run; with artifacts, under its folder's URI (the child indexed the executor's local path). */
  private static void index(TaskSpec spec, Path dir, Artifacts artifacts, String text) {
    try {
      RunRecord r = Json.files().readValue(text, RunRecord.class);
      ResultStore.open(spec.store()).index(r, text, artifacts == null ? dir.toString() : artifacts.uri(spec.id()));
    } catch (IOException | RuntimeException e) {
      appendQuietly(dir.resolve(SweepStatus.LOG_FILE), "bsq sweep --spark: cannot index the run into "
          + spec.store() + ": " + e.getMessage() + "\n");
    }
  }

  private static void writeNote(Path dir, int exit, String message) {
    Map<String, Object> note = new LinkedHashMap<>();
    note.put("exitCode", exit);
    note.put("message", message);
    note.put("time", Instant.now().toString());
    try {
      Files.createDirectories(dir);
      Json.writeFile(dir.resolve(SweepStatus.FAILURE_FILE), note);
    } catch (IOException | RuntimeException e) {
      // the outcome carries the error anyway
    }
  }

  /** The text after the last {@code bsq:} line of the log's last attempt, or null. */
  static String lastBsqLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      String last = null;
      for (String l : lines) {
        String s = l.strip();
        if (s.startsWith("=== ")) {
          last = null; // a new attempt
        } else if (s.startsWith("bsq:")) {
          last = s.substring(4).strip();
        }
      }
      return last;
    } catch (IOException e) {
      return null;
    }
  }

  private static void appendQuietly(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      // nowhere else to say it
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a run folder's lock", e);
    }
  }
}
