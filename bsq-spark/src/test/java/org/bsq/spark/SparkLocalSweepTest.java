package org.bsq.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.bsq.bench.cli.BsqCli;
import org.bsq.bench.store.ResultStore;
import org.bsq.bench.sweep.RunState;
import org.bsq.bench.sweep.SweepDistributor;
import org.bsq.bench.sweep.SweepFile;
import org.bsq.bench.sweep.SweepPlan;
import org.bsq.bench.sweep.SweepResult;
import org.bsq.core.harness.Harness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bsq sweep --spark local[2]}: a small sweep on the embedded data, each run a Spark task (a child bsq run in the
 * executor), in two waves (a run refers to another's average bits); one run fails in its child and its dependent is
 * blocked; the store holds one row per finished grid point; a second submission starts nothing. Then the same with
 * run folders under a file:// artifacts URI.
 */
class SparkLocalSweepTest {
  @TempDir
  Path tmp;

  static final String EXPERIMENT = """
      model: {name: small-cnn, activation: relu, actBits: 0}
      dataset: {name: embedded, batchSize: 64, limitTrain: 256, limitTest: 96}
      strategy:
        name: uniform
        params: {weightBits: 4, activationBits: 0, mode: ptq}
      accelerators: []
      seed: 1
      """;

  static final String SWEEP = """
      name: spark-local
      runs:
        - id: matched
          config: uniform.yaml
          set: {strategy.params.weightBits: "${w3.avgBits:floor}", seed: 2}
        - id: broken
          config: uniform.yaml
          set: {dataset.validation.size: 100000}   # binds; fails when the child loads the training images
        - id: after-broken
          config: uniform.yaml
          set: {dataset.dataDir: "${broken.dir}"}
      grid:
        - id: "w{strategy.params.weightBits}"
          config: uniform.yaml
          axes: {strategy.params.weightBits: [2, 3]}
      """;

  /** A quiet local context on the loopback interface. */
  static Map<String, String> testConf() {
    return Map.of("spark.ui.enabled", "false", "spark.driver.host", "127.0.0.1", "spark.driver.bindAddress",
        "127.0.0.1", "spark.ui.showConsoleProgress", "false");
  }

  private record Ran(SweepResult result, String log) {}

  private static Ran submit(SweepPlan plan, String store, String artifacts) {
    StringWriter log = new StringWriter();
    SweepDistributor.Request request = new SweepDistributor.Request("local[2]", store, artifacts,
        new PrintWriter(log, true), List.of("-Xmx1g", "-Xss8m"), null);
    return new Ran(new SparkSweepDistributor(testConf()).run(plan, request), log.toString());
  }

  private static Map<String, RunState> states(SweepResult r) {
    return r.runs().stream().collect(Collectors.toMap(SweepResult.Outcome::id, SweepResult.Outcome::state));
  }

  @Test
  void runsTheMissingRunsAsTasksOnceAndASecondSubmissionDoesNothing() throws Exception {
    Files.writeString(tmp.resolve("uniform.yaml"), EXPERIMENT);
    Path file = Files.writeString(tmp.resolve("sweep.yaml"), SWEEP);
    Path out = tmp.resolve("out");
    String store = "jdbc:sqlite:" + tmp.resolve("results.db");
    SweepPlan plan = SweepFile.read(file).plan(1.0, out);

    Ran first = submit(plan, store, null);
    SweepResult r = first.result();
    assertEquals(Map.of("w2", RunState.DONE, "w3", RunState.DONE, "matched", RunState.DONE, "broken",
        RunState.FAILED, "after-broken", RunState.BLOCKED), states(r), first.log());
    assertEquals(4, r.childrenStarted(), first.log());
    assertTrue(first.log().contains("sweep: wave 1: 3 task(s)"), first.log());
    assertTrue(first.log().contains("sweep: wave 2: 1 task(s): matched"), first.log());
    assertTrue(first.log().contains("1 thread(s))"), first.log()); // spark.task.cpus = 1: OMP_NUM_THREADS=1
    assertTrue(first.log().contains("sweep: start matched (attempt 0 on executor driver@"), first.log());
    String error = r.outcome("broken").error();
    assertTrue(error.contains("dataset.validation.size must be below the 6000 training images"), error);
    assertEquals((int) Math.floor(r.outcome("w3").record().avgBits()),
        r.outcome("matched").record().config().at("/experiment/strategy/params/weightBits").asInt());
    assertTrue(Files.readString(out.resolve("w2").resolve("sweep.log")).contains("bsq sweep --spark starts"));

    // the store: exactly one row per finished grid point, each with its run.json
    Map<String, Long> counts = ResultStore.open(store).countsByHash();
    Set<String> doneHashes = r.runs().stream().filter(o -> o.state() == RunState.DONE)
        .map(o -> o.record().configHash()).collect(Collectors.toSet());
    assertEquals(3, doneHashes.size());
    assertEquals(doneHashes, counts.keySet(), "failed runs left no row (the child failed before it bound a folder)");
    counts.values().forEach(n -> assertEquals(1L, n));
    for (String h : doneHashes) {
      assertTrue(ResultStore.open(store).runJson(h).contains(h));
    }

    // a second submission runs nothing that is done: only the failed run is retried (and fails again)
    Ran second = submit(SweepFile.read(file).plan(1.0, out), store, null);
    assertEquals(states(r), states(second.result()), second.log());
    assertEquals(1, second.result().childrenStarted(), second.log());
    assertTrue(second.log().contains("sweep: done w2 (already finished"), second.log());
    assertTrue(second.log().contains("sweep: wave 1: 1 task(s): broken"), second.log());
    assertFalse(second.log().contains("wave 2"), second.log());
    assertEquals(counts.keySet(), ResultStore.open(store).countsByHash().keySet().stream()
        .filter(doneHashes::contains).collect(Collectors.toSet()));
  }

  @Test
  void aSweepWithNothingMissingStartsNoSparkContextThroughTheCommandLine() throws Exception {
    Files.writeString(tmp.resolve("uniform.yaml"), EXPERIMENT);
    Path file = Files.writeString(tmp.resolve("one.yaml"), "name: one\nruns:\n  - {id: only, config: uniform.yaml}\n");
    Path out = tmp.resolve("out");
    String store = "jdbc:sqlite:" + tmp.resolve("results.db");
    Ran first = submit(SweepFile.read(file).plan(1.0, out), store, null);
    assertEquals(RunState.DONE, first.result().outcome("only").state(), first.log());

    StringWriter printed = new StringWriter();
    int code = BsqCli.execute(new String[] {"sweep", file.toString(), "--out", out.toString(), "--store", store,
        "--spark", "local[2]"}, new PrintWriter(printed, true), new PrintWriter(printed, true));
    assertEquals(0, code, printed.toString());
    assertTrue(printed.toString().contains("sweep: done only (already finished"), printed.toString());
    assertFalse(printed.toString().contains("sweep: spark "), "no Spark context: " + printed);
    assertTrue(printed.toString().contains("0 run(s) started on spark in 0 wave(s)"), printed.toString());

    StringWriter err = new StringWriter();
    code = BsqCli.execute(new String[] {"sweep", file.toString(), "--artifacts", "file:///x"},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code);
    assertTrue(err.toString().contains("--artifacts file:///x needs --spark MASTER"), err.toString());
    err = new StringWriter();
    code = BsqCli.execute(new String[] {"sweep", file.toString(), "--spark", "local[2]", "--jobs", "2"},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code);
    assertTrue(err.toString().contains("--jobs 2 is for a local sweep"), err.toString());
  }

  @Test
  void runFoldersUnderAnArtifactsUriAreCopiedWholeAndTheStoreAloneDecidesWhatIsDone() throws Exception {
    Files.writeString(tmp.resolve("uniform.yaml"), EXPERIMENT);
    Path file = Files.writeString(tmp.resolve("a.yaml"), """
        name: a
        runs:
          - {id: base, config: uniform.yaml, set: {strategy.params.weightBits: 3}}
          - {id: matched, config: uniform.yaml, set: {strategy.params.weightBits: "${base.avgBits:ceil}", seed: 3}}
        """);
    Path work = tmp.resolve("work"); // each executor's local working folder (--out)
    Path shared = tmp.resolve("shared");
    String uri = shared.toUri().toString();
    String store = "jdbc:sqlite:" + tmp.resolve("results.db");
    SweepPlan plan = SweepFile.read(file).plan(1.0, work);

    Ran first = submit(plan, store, uri);
    assertEquals(Map.of("base", RunState.DONE, "matched", RunState.DONE), states(first.result()), first.log());
    Artifacts artifacts = Artifacts.open(uri, Map.of());
    assertEquals(List.of("base", "matched"), artifacts.list(), "no temporary copies left");
    assertTrue(Files.isRegularFile(shared.resolve("base").resolve(Harness.RUN_JSON)));
    assertTrue(Files.isRegularFile(shared.resolve("matched").resolve("config.json")));
    List<Map<String, Object>> rows = ResultStore.open(store).query(List.of());
    assertEquals(2, rows.size());
    for (Map<String, Object> row : rows) {
      assertTrue(String.valueOf(row.get("run_dir")).startsWith(uri.substring(0, uri.length() - 1)), row.toString());
    }

    // the executors' local folders are gone (a new cluster): the store alone says the runs are done
    Artifacts.deleteLocal(work);
    Ran second = submit(SweepFile.read(file).plan(1.0, work), store, uri);
    assertEquals(states(first.result()), states(second.result()), second.log());
    assertEquals(0, second.result().childrenStarted(), second.log());
    assertFalse(second.log().contains("sweep: spark "), second.log());
  }
}
