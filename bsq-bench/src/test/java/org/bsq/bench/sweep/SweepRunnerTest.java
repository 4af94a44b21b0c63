package org.bsq.bench.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.bsq.bench.cli.BsqCli;
import org.bsq.bench.store.ResultStore;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.json.Json;
import org.bsq.core.train.Checkpoint;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A sweep of tiny post-training-quantization runs on the embedded data, each a child JVM: two at a time, one run
 * depending on another's average bits, one failing when it loads its data (after planning) and one blocked by it;
 * then a sweep that does no work but retry the failure, and one that continues an interrupted run.
 */
class SweepRunnerTest {
  @TempDir
  Path tmp;

  private static final String EXPERIMENT = """
      model: {name: small-cnn, activation: relu, actBits: 0}
      dataset: {name: embedded, batchSize: 64, limitTrain: 256, limitTest: 128}
      strategy:
        name: uniform
        params: {weightBits: 4, activationBits: 0, mode: ptq}
      accelerators: []
      seed: 1
      """;

  private static final String SWEEP = """
      name: e2e
      set: {dataset.limitTest: 96}
      runs:
        - {id: base, config: uniform.yaml, set: {strategy.params.weightBits: 3}}
        - id: matched
          config: uniform.yaml
          set: {strategy.params.weightBits: "${base.avgBits:floor}", seed: 2}
        - id: broken
          config: uniform.yaml
          set: {dataset.validation.size: 100000}   # binds; fails when the child loads the 6,000 training images
        - id: after-broken
          config: uniform.yaml
          set: {dataset.dataDir: "${broken.dir}"}
      """;

  private record Ran(SweepResult result, String log) {}

  private Ran sweep(SweepPlan plan) {
    StringWriter log = new StringWriter();
    SweepRunner.Options o = SweepRunner.Options.defaults(new PrintWriter(log, true)).withJobs(2)
        .withJavaOptions(List.of("-Xmx1g", "-Xss8m"));
    SweepResult r = new SweepRunner(o).run(plan);
    return new Ran(r, log.toString());
  }

  private static Map<String, RunState> states(SweepResult r) {
    return r.runs().stream().collect(Collectors.toMap(SweepResult.Outcome::id, SweepResult.Outcome::state));
  }

  @Test
  @Tag("integration")
  void runsWhatIsMissingSkipsWhatIsDoneAndContinuesInterruptedRuns() throws Exception {
    Files.writeString(tmp.resolve("uniform.yaml"), EXPERIMENT);
    Path file = Files.writeString(tmp.resolve("e2e.yaml"), SWEEP);
    Path out = tmp.resolve("out");
    SweepPlan plan = SweepFile.read(file).plan(1.0, out);

    Ran first = sweep(plan);
    SweepResult r = first.result();
    assertEquals(Map.of("base", RunState.DONE, "matched", RunState.DONE, "broken", RunState.FAILED,
        "after-broken", RunState.BLOCKED), states(r), first.log());
    assertEquals(3, r.childrenStarted(), first.log());
    assertEquals(1, r.exitCode());
    SweepResult.Outcome base = r.outcome("base");
    SweepResult.Outcome matched = r.outcome("matched");
    assertEquals(plan.run("base").configHash(), RunFolder.at(out.resolve("base")).identity().configHash());
    assertEquals(plan.run("base").configHash(), base.record().configHash());
    int floored = (int) Math.floor(base.record().avgBits());
    assertEquals(floored, matched.record().config().at("/experiment/strategy/params/weightBits").asInt());
    String error = r.outcome("broken").error();
    assertTrue(error.contains("dataset.validation.size must be below the 6000 training images"), error);
    assertEquals(2, Json.readTree(out.resolve("broken").resolve(SweepStatus.FAILURE_FILE)).path("exitCode").asInt());
    assertEquals("needs broken, which failed", r.outcome("after-broken").error());
    assertFalse(r.outcome("after-broken").started());
    assertTrue(first.log().contains("sweep: done base: top-1"), first.log());
    assertTrue(first.log().contains("sweep: FAILED broken"), first.log());
    assertTrue(Files.readString(out.resolve("base").resolve(SweepStatus.LOG_FILE)).contains("bsq run: strategy "
        + "uniform on small-cnn/embedded"));
    // the store (OUT/results.db by default): one row per finished run
    assertEquals(SweepRunner.defaultStore(out), r.store());
    assertEquals(Set.of(base.record().configHash(), matched.record().configHash()), storedHashes(r.store()));

    // status reads the same states; the CLI prints them
    SweepStatus status = SweepStatus.of(plan);
    assertEquals(List.of(RunState.DONE, RunState.DONE, RunState.FAILED, RunState.BLOCKED),
        status.runs().stream().map(SweepStatus.Entry::state).toList());
    StringWriter cliOut = new StringWriter();
    int code = BsqCli.execute(new String[] {"sweep", "status", file.toString(), "--out", out.toString()},
        new PrintWriter(cliOut, true), new PrintWriter(new StringWriter(), true));
    assertEquals(0, code);
    String printed = cliOut.toString();
    assertTrue(printed.matches("(?s).*base\\s+done\\s+top-1.*"), printed);
    assertTrue(printed.matches("(?s).*broken\\s+failed\\s+failed \\(exit code 2\\).*"), printed);
    assertTrue(printed.matches("(?s).*after-broken\\s+blocked\\s+needs broken, which failed.*"), printed);
    assertTrue(printed.contains("4 runs: 2 done, 1 failed, 1 blocked"), printed);

    // again: nothing to do but retry the failed run
    Ran second = sweep(SweepFile.read(file).plan(1.0, out));
    assertEquals(states(r), states(second.result()), second.log());
    assertEquals(1, second.result().childrenStarted(), second.log());
    assertTrue(second.result().outcome("broken").started());
    assertTrue(second.log().contains("sweep: done base (already finished"), second.log());
    assertTrue(second.log().contains("sweep: start broken (retrying: failed (exit code 2)"), second.log());

    // an interrupted run (checkpoints, no record) continues; the run that needs its bits waits for it, then is done
    Files.delete(out.resolve("base").resolve(Harness.RUN_JSON));
    SweepPlan replanned = SweepFile.read(file).plan(1.0, out);
    assertNull(replanned.run("matched").configHash());
    SweepStatus interrupted = SweepStatus.of(replanned);
    assertEquals(RunState.MISSING, interrupted.entry("base").state());
    assertTrue(interrupted.entry("base").detail().contains("interrupted"), interrupted.entry("base").detail());
    assertEquals(RunState.WAITING, interrupted.entry("matched").state());
    Ran third = sweep(replanned);
    assertEquals(states(r), states(third.result()), third.log());
    assertTrue(third.result().outcome("base").started());
    assertFalse(third.result().outcome("matched").started(), third.log());
    assertEquals(2, third.result().childrenStarted(), third.log());
    assertTrue(third.log().contains("sweep: start base (continuing the interrupted run"), third.log());
    assertTrue(Files.readString(out.resolve("base").resolve(SweepStatus.LOG_FILE))
        .contains("bsq run: continuing the interrupted run"));
    assertEquals(base.record().configHash(), third.result().outcome("base").record().configHash());
    assertNotNull(third.result().outcome("matched").record());
    assertEquals(2, storedHashes(r.store()).size());
  }

  @ParameterizedTest(name = "forcibly = {0}")
  @ValueSource(booleans = {false, true})
  @Tag("integration")
  void killingTheSweepKillsItsChildrenAndTheNextSweepContinuesTheRun(boolean forcibly) throws Exception {
    Files.writeString(tmp.resolve("finetuned.yaml"), EXPERIMENT.replace(", mode: ptq", "")
        + "finetune: {epochs: 8, learningRate: 0.05}\n");
    Path file = Files.writeString(tmp.resolve("k.yaml"), "name: k\nruns:\n  - {id: long, config: finetuned.yaml}\n");
    Path out = tmp.resolve("out");
    Path runDir = out.resolve("long");
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-Xss8m", "-cp", System.getProperty("java.class.path"), BsqCli.class.getName(), "sweep", file.toString(),
        "--out", out.toString());
    Process parent = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("parent.log").toFile()).start();
    List<ProcessHandle> children;
    try {
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (!Checkpoint.exists(runDir.resolve("finetune")) && System.nanoTime() < deadline && parent.isAlive()) {
        Thread.sleep(20);
      }
      assertTrue(Checkpoint.exists(runDir.resolve("finetune")), Files.readString(tmp.resolve("parent.log")));
      children = parent.descendants().toList();
      assertFalse(children.isEmpty());
      if (forcibly) {
        parent.destroyForcibly(); // SIGKILL: no shutdown hook; each child sees its parent gone (--exit-with-parent)
      } else {
        parent.destroy(); // SIGTERM: the sweep's shutdown hook ends its children
      }
      assertTrue(parent.waitFor(30, TimeUnit.SECONDS));
    } finally {
      parent.destroyForcibly();
    }
    for (ProcessHandle child : children) {
      child.onExit().get(30, TimeUnit.SECONDS);
      assertFalse(child.isAlive(), "child " + child.pid() + " outlived the sweep");
    }
    assertFalse(RunFolder.at(runDir).busy());
    assertFalse(Files.exists(runDir.resolve(Harness.RUN_JSON)), "killed after the first epoch, before the end");
    SweepPlan plan = SweepFile.read(file).plan(1.0, out);
    SweepStatus.Entry interrupted = SweepStatus.of(plan).entry("long");
    assertEquals(RunState.MISSING, interrupted.state());
    assertEquals("interrupted; continues from its checkpoints", interrupted.detail());

    Ran again = sweep(plan);
    assertEquals(RunState.DONE, again.result().outcome("long").state(), again.log());
    assertTrue(again.log().contains("sweep: start long (continuing the interrupted run from its checkpoints)"),
        again.log());
    String log = Files.readString(runDir.resolve(SweepStatus.LOG_FILE));
    assertTrue(log.contains("bsq run: continuing the interrupted run"), log);
    assertEquals(8, again.result().outcome("long").record().trajectory().finetune().size());
  }

  @Test
  void usageErrorsExitTwo() throws Exception {
    Files.writeString(tmp.resolve("uniform.yaml"), EXPERIMENT);
    Path cyclic = Files.writeString(tmp.resolve("c.yaml"), """
        name: c
        runs:
          - {id: a, config: uniform.yaml, set: {seed: "${b.avgBits:floor}"}}
          - {id: b, config: uniform.yaml, set: {seed: "${a.avgBits:floor}"}}
        """);
    StringWriter err = new StringWriter();
    int code = BsqCli.execute(new String[] {"sweep", cyclic.toString(), "--out", tmp.resolve("o").toString()},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code);
    assertTrue(err.toString().contains("cycle, found a -> b -> a"), err.toString());
    err = new StringWriter();
    code = BsqCli.execute(new String[] {"sweep", "status", cyclic.toString(), "--jobs", "2"},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code, "status takes no --jobs");
    err = new StringWriter();
    code = BsqCli.execute(new String[] {"sweep", tmp.resolve("nope.yaml").toString(), "--jobs", "0"},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code);
    assertTrue(err.toString().contains("--jobs must be >= 1, was 0"), err.toString());
  }

  private static Set<String> storedHashes(String store) {
    return ResultStore.open(store).query(List.of()).stream().map(row -> (String) row.get("config_hash"))
        .collect(Collectors.toSet());
  }
}
