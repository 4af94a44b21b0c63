package org.bsq.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bsq.bench.store.ResultStore;
import org.bsq.bench.sweep.PlannedRun;
import org.bsq.bench.sweep.RunState;
import org.bsq.bench.sweep.SweepFile;
import org.bsq.bench.sweep.SweepPlan;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor's side without Spark: two attempts of one run at once (a speculative copy, or a retry racing a dying
 * attempt) leave one finished run and one store row; an attempt that finds the run done returns at once; with an
 * artifacts URI, racing attempts leave one complete folder and no temporary copy.
 */
class RunTasksTest {
  @TempDir
  Path tmp;

  private TaskSpec spec(String artifacts) throws Exception {
    Files.writeString(tmp.resolve("uniform.yaml"), SparkLocalSweepTest.EXPERIMENT.replace(", mode: ptq", "")
        + "finetune: {epochs: 2, learningRate: 0.05}\n");
    Path file = Files.writeString(tmp.resolve("one.yaml"), "name: one\nruns:\n  - {id: only, config: uniform.yaml}\n");
    SweepPlan plan = SweepFile.read(file).plan(1.0, tmp.resolve("out"));
    PlannedRun run = plan.run("only");
    return new TaskSpec(run.id(), run.config().toString(), run.resolvedOverrides(), run.dependencies(),
        run.configHash(), plan.outDir().toString(), plan.budgetScale(), "jdbc:sqlite:" + tmp.resolve("results.db"),
        artifacts, List.of("-Xmx1g", "-Xss8m"), System.getProperty("java.class.path"), 300, 1);
  }

  /** Runs {@code attempts} attempts of {@code spec} at the same moment, each in its own thread. */
  private static List<TaskOutcome> race(TaskSpec spec, int attempts) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(attempts);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<TaskOutcome>> futures = new ArrayList<>();
      for (int a = 0; a < attempts; a++) {
        int attempt = a;
        futures.add(pool.submit(() -> {
          go.await();
          return RunTasks.run(spec, attempt, 1, "test-" + attempt, Map.of());
        }));
      }
      go.countDown();
      List<TaskOutcome> out = new ArrayList<>();
      for (Future<TaskOutcome> f : futures) {
        out.add(f.get(240, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoAttemptsAtOnceLeaveOneFinishedRunAndOneRowAndALaterAttemptReturnsAtOnce() throws Exception {
    TaskSpec spec = spec(null);
    List<TaskOutcome> outcomes = race(spec, 2);
    for (TaskOutcome o : outcomes) {
      assertEquals(RunState.DONE.name(), o.state(), o.toString());
      assertEquals(spec.configHash(), Json.files().readValue(o.runJson(), RunRecord.class).configHash());
    }
    Path dir = Path.of(spec.outDir()).resolve("only");
    RunRecord record = Harness.readFinishedRecord(dir.resolve(Harness.RUN_JSON));
    assertEquals(2, record.trajectory().finetune().size(), "one run's two epochs, not two runs' four");
    assertFalse(RunFolder.at(dir).busy());
    assertFalse(Files.exists(dir.resolve("sweep-failure.json")), "no failure note from the attempt that lost");
    assertEquals(Map.of(spec.configHash(), 1L), ResultStore.open(spec.store()).countsByHash());

    long start = System.nanoTime();
    TaskOutcome again = RunTasks.run(spec, 2, 1, "test-2", Map.of());
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(RunState.DONE.name(), again.state());
    assertFalse(again.started(), "found in the store, no child");
    assertTrue(seconds < 5, "returned at once, took " + seconds + " s");
    assertEquals(Map.of(spec.configHash(), 1L), ResultStore.open(spec.store()).countsByHash());
  }

  @Test
  void racingAttemptsUnderAnArtifactsUriLeaveOneCompleteFolderAndNoTemporaryCopy() throws Exception {
    Path shared = tmp.resolve("shared");
    String uri = shared.toUri().toString();
    TaskSpec spec = spec(uri);
    List<TaskOutcome> outcomes = race(spec, 2);
    outcomes.forEach(o -> assertEquals(RunState.DONE.name(), o.state(), o.toString()));
    assertEquals(List.of("only"), Artifacts.open(uri, Map.of()).list(), "no temporary or moved-aside copies");
    RunRecord record = Harness.readFinishedRecord(shared.resolve("only").resolve(Harness.RUN_JSON));
    assertEquals(spec.configHash(), record.configHash());
    assertTrue(Files.isRegularFile(shared.resolve("only").resolve(RunFolder.CONFIG_FILE)));
    assertEquals(Map.of(spec.configHash(), 1L), ResultStore.open(spec.store()).countsByHash());
    List<Map<String, Object>> rows = ResultStore.open(spec.store()).query(List.of());
    assertEquals(uri.replaceAll("/$", "") + "/only", rows.get(0).get("run_dir"));
  }
}
