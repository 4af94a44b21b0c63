package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bsq.bench.cli.BsqCliTest.Result;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import org.bsq.core.provenance.Digests;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run folder holds one run (issue 8, section 1): every case of the user report, each against the command line. The
 * runs are the embedded uniform 4-bit recipe on 256 training and 128 test images, a few seconds each.
 */
@Tag("integration")
class RunFolderCliTest {
  static final String CONFIG = Path.of("..", "configs", "embedded-uniform4.yaml").toString();
  static final String[] SMALL = {"--set", "dataset.limitTrain=256", "--set", "dataset.limitTest=128"};

  @TempDir
  static Path shared;
  /** One finished run, made once: 2 finetuning epochs (budget scale 0.25). */
  static Path finished;
  static JsonNode finishedSummary;

  static Result run(String... args) {
    return BsqCliTest.run(args);
  }

  static String[] runArgs(Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("run", CONFIG, "--budget-scale", "0.25", "--out", out.toString()));
    a.addAll(List.of(SMALL));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  @BeforeAll
  static void finishOneRun() throws Exception {
    finished = shared.resolve("finished");
    Result r = run(runArgs(finished, "--json"));
    assertEquals(0, r.code(), r.err());
    finishedSummary = r.lastJson();
  }

  /** Every file of a folder with the sha-256 of its bytes. */
  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(dir)) {
      return out;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString(), Digests.sha256Label(Files.readAllBytes(p)));
      }
    }
    return out;
  }

  @Test
  void aFinishedFolderWithAnotherConfigIsRefusedNamingTheKeysAndStaysUnchanged() throws Exception {
    Map<String, String> before = snapshot(finished);
    Result other = run(runArgs(finished, "--set", "strategy.params.weightBits=3"));
    assertEquals(2, other.code(), other.err());
    assertTrue(other.err().contains("holds a run of another configuration"), other.err());
    assertTrue(other.err().contains("experiment.strategy.params.weightBits: 4 in the folder, 3 here"), other.err());
    assertTrue(other.err().contains("use a new --out folder"), other.err());
    Result scale = run("run", CONFIG, "--budget-scale", "0.5", "--out", finished.toString(), SMALL[0], SMALL[1],
        SMALL[2], SMALL[3]);
    assertEquals(2, scale.code(), scale.err());
    assertTrue(scale.err().contains("budgetScale: 0.25 in the folder, 0.5 here"), scale.err());
    assertEquals(before, snapshot(finished), "nothing in the folder changed");
  }

  @Test
  void aFinishedRunIsReportedUnchangedBySameCommandAndByResume() throws Exception {
    Map<String, String> before = snapshot(finished);
    Result again = run(runArgs(finished, "--json"));
    assertEquals(0, again.code(), again.err());
    assertTrue(again.err().contains("already holds this run, finished; its record is shown unchanged"), again.err());
    assertEquals(finishedSummary, again.lastJson(), "same record, same timings");
    Result resumed = run("run", "--resume", finished.toString(), "--json");
    assertEquals(0, resumed.code(), resumed.err());
    assertEquals(finishedSummary, resumed.lastJson());
    assertEquals(before, snapshot(finished), "run.json (timings included) is not rewritten");
  }

  @Test
  void resumeRefusesOptionsThatWouldChangeTheRun() throws Exception {
    Map<String, String> before = snapshot(finished);
    String dir = finished.toString();
    String[][] conflicting = {{"run", CONFIG, "--resume", dir}, {"run", "--resume", dir, "--set", "seed=1"},
        {"run", "--resume", dir, "--budget-scale", "0.25"}, {"run", "--resume", dir, "--out", dir}};
    String[] named = {"CONFIG (", "--set seed=1", "--budget-scale 0.25", "--out " + dir};
    for (int i = 0; i < conflicting.length; i++) {
      Result r = run(conflicting[i]);
      assertEquals(2, r.code(), String.join(" ", conflicting[i]) + ": " + r.err());
      assertTrue(r.err().contains("--resume DIR continues the run saved in DIR with its own configuration and takes "
          + "no " + named[i]), r.err());
    }
    Result notARun = run("run", "--resume", shared.resolve("nothing-here").toString());
    assertEquals(2, notARun.code());
    assertTrue(notARun.err().contains("--resume needs a run folder with config.json"), notARun.err());
    assertEquals(before, snapshot(finished));
  }

  @Test
  void aRejectedCommandWritesNothing() throws Exception {
    Path fresh = shared.resolve("never-created");
    Result typo = run(runArgs(fresh, "--set", "strategy.params.weightBit=3"));
    assertEquals(2, typo.code(), typo.err());
    assertTrue(typo.err().contains("strategy.params.weightBit: unknown key; known keys here: [activationBits, "
        + "calibration, mode, overrides, weightBits] (from --set)"), typo.err());
    assertFalse(Files.exists(fresh), "a rejected command creates no folder");

    Map<String, String> before = snapshot(finished);
    Result onFinished = run(runArgs(finished, "--set", "strategy.params.weightBit=3"));
    assertEquals(2, onFinished.code(), onFinished.err());
    Result optimizer = run(runArgs(finished, "--set", "finetune.momentum=0.5"));
    assertEquals(2, optimizer.code(), optimizer.err());
    assertTrue(optimizer.err().contains("experiment.finetune.momentum: 0.9 in the folder, 0.5 here"), optimizer.err());
    assertEquals(before, snapshot(finished), "config.json and everything else unchanged");
    Result resume = run("run", "--resume", finished.toString());
    assertEquals(0, resume.code(), "the original run still resumes: " + resume.err());
  }

  /** A strategy typo is found even when the strategy phase would be skipped (BSQ with 0 epochs still re-quantizes). */
  @Test
  void strategyParametersAreCheckedBeforeTheRun() {
    Path out = shared.resolve("typo-bsq");
    Result r = run("run", Path.of("..", "configs", "embedded-bsq.yaml").toString(), "--set", "strategy.budget.epochs=0",
        "--set", "finetune.epochs=0", "--set", "strategy.params.alpah=0.1", "--out",
        out.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("strategy.params.alpah: unknown key; known keys here: [activationBits, alpha,"),
        r.err());
    assertFalse(Files.exists(out));
  }

  /**
   * kill -9 in the middle of finetuning, then: a second process meanwhile is refused naming the holder; the
   * interrupted folder refuses another configuration (no hybrid); the same command continues to the same record as an
   * uninterrupted run.
   */
  @Test
  void aKilledRunIsLockedWhileAliveRefusesAnotherConfigAndResumesToTheSameResult() throws Exception {
    Path dir = shared.resolve("killed");
    Path uninterrupted = shared.resolve("uninterrupted");
    String[] args = runArgs(dir, "--set", "finetune.epochs=64");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), BsqCli.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", "1");
    Process child = pb.start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
        StandardCharsets.UTF_8)); AutoCloseable kill = child::destroyForcibly) {
      String line;
      StringBuilder seen = new StringBuilder();
      while ((line = out.readLine()) != null && !line.contains("finetune/latest (resumes at epoch 3")) {
        seen.append(line).append('\n'); // wait until finetuning has checkpointed twice
      }
      assertTrue(line != null, "the child reached finetuning: " + seen);
      // freeze it (SIGSTOP), so it cannot finish before the second process tries; it keeps its lock while stopped
      assertEquals(0, new ProcessBuilder("kill", "-STOP", String.valueOf(child.pid())).start().waitFor());
      Result second = run(args);
      assertEquals(2, second.code(), second.err());
      assertTrue(second.err().contains("is in use by another run (pid " + child.pid() + " on "), second.err());
      assertTrue(second.err().contains(": bsq run " + CONFIG), second.err());
      child.destroyForcibly(); // kill -9
      assertTrue(child.waitFor(60, TimeUnit.SECONDS));
    }
    assertFalse(Files.exists(dir.resolve(Harness.RUN_JSON)), "killed runs leave no record");

    Map<String, String> before = snapshot(dir);
    Result hybrid = run(runArgs(dir, "--set", "finetune.epochs=64", "--set", "finetune.learningRate=0.01"));
    assertEquals(2, hybrid.code(), hybrid.err());
    assertTrue(hybrid.err().contains("experiment.finetune.learningRate: 0.05 in the folder, 0.01 here"), hybrid.err());
    assertEquals(before, snapshot(dir));

    Result resumed = run(runArgs(dir, "--set", "finetune.epochs=64", "--json"));
    assertEquals(0, resumed.code(), resumed.err());
    assertTrue(resumed.err().contains("continuing the interrupted run in"), resumed.err());
    Result clean = run(runArgs(uninterrupted, "--set", "finetune.epochs=64", "--json"));
    assertEquals(0, clean.code(), clean.err());
    for (String key : new String[] {"top1", "top5", "top1BeforeFinetune", "avgBits", "configHash"}) {
      assertEquals(clean.lastJson().get(key), resumed.lastJson().get(key), key);
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      assertEquals(List.of(), walk.map(p -> p.getFileName().toString())
          .filter(n -> n.matches(".*\\.(tmp|old)-\\d+") || n.endsWith(".tmp")).toList(), "no temporary leftovers");
    }
  }

  @Test
  void aFailedRunLeavesARecordWithItsError() throws Exception {
    // a "scheme" run whose source record names layers this model does not have fails inside the strategy phase
    Path fake = shared.resolve("fake-run.json");
    JsonNode record = Json.readTree(finished.resolve(Harness.RUN_JSON));
    String text = Json.pretty(record).replace("\"conv1\"", "\"no-such-layer\"");
    assertNotEquals(Json.pretty(record), text);
    Files.writeString(fake, text);
    Path out = shared.resolve("failed");
    Result r = run("run", CONFIG, "--set", "strategy.name=scheme", "--set", "strategy.params={run: " + fake + "}",
        "--budget-scale", "0.25", "--out", out.toString(), SMALL[0], SMALL[1], SMALL[2], SMALL[3]);
    assertEquals(1, r.code(), r.err());
    RunRecord failed = Harness.readRecord(out.resolve(Harness.RUN_JSON));
    assertEquals(RunRecord.STATUS_FAILED, failed.status());
    assertEquals("strategy", failed.error().phase());
    assertTrue(failed.error().message().contains("no-such-layer"), failed.error().message());
    assertEquals(null, failed.metrics());

    Result again = run("run", CONFIG, "--set", "strategy.name=scheme", "--set", "strategy.params={run: " + fake + "}",
        "--budget-scale", "0.25", "--out", out.toString(), SMALL[0], SMALL[1], SMALL[2], SMALL[3]);
    assertEquals(1, again.code());
    assertTrue(again.out().contains("the previous attempt in " + out.toAbsolutePath() + " failed during strategy"),
        again.out());
    Result eval = run("eval", "--run", out.toString());
    assertEquals(2, eval.code());
    assertTrue(eval.err().contains("must be of a finished run, was status 'failed'"), eval.err());
  }

  /** Paths in a config are relative to the config file, wherever the command runs. */
  @Test
  void relativePathsInAConfigAreRelativeToTheConfigFile() throws Exception {
    Path configs = Files.createDirectories(shared.resolve("elsewhere/configs"));
    Path copy = configs.resolve("from-finished.yaml");
    Files.writeString(copy, Files.readString(Path.of(CONFIG)).replace("name: uniform", "name: scheme")
        .replace("params:\n    weightBits: 4\n    activationBits: 4", "params:\n    run: ../../finished/run.json"));
    Result r = run("run", copy.toString(), "--budget-scale", "0.125", "--out",
        shared.resolve("elsewhere/out").toString(), SMALL[0], SMALL[1], SMALL[2], SMALL[3], "--json");
    assertEquals(0, r.code(), r.err());
    assertEquals(4.0, r.lastJson().get("avgBits").asDouble(), 1e-12, "the scheme of ../../finished/run.json");
    JsonNode saved = Json.readTree(shared.resolve("elsewhere/out/config.json"));
    assertEquals(finished.resolve(Harness.RUN_JSON).toAbsolutePath().normalize().toString(),
        saved.path("config").path("experiment").path("strategy").path("params").path("run").asText(),
        "the resolved configuration records the absolute path");
  }

  @Test
  void evalOfARunReproducesItsRecord() throws Exception {
    Result r = run("eval", "--run", finished.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = r.lastJson();
    assertEquals(128, j.get("samples").asInt());
    assertEquals(finishedSummary.get("top1").asDouble(), j.get("top1").asDouble(), 0.0,
        "the final model under its scheme scores exactly what run.json says");
    assertEquals(j.get("recordedTop1").asDouble(), j.get("top1").asDouble(), 0.0);
    Result conflicting = run("eval", "--run", finished.toString(), "--model", "small-cnn");
    assertEquals(2, conflicting.code());
    assertTrue(conflicting.err().contains("--run DIR takes the model, data, weights and scheme from the run, was "
        + "also given --model"), conflicting.err());
  }

  /** A held-out validation split: excluded from training, where finetuning evaluates and keeps its best epoch. */
  @Test
  void aHeldOutValidationSplitIsExcludedFromTrainingAndRecorded() throws Exception {
    Path out = shared.resolve("validation");
    Result r = run("run", CONFIG, "--budget-scale", "0.25", "--out", out.toString(), "--set",
        "dataset.validation={size: 1000, seed: 3}", "--set", "finetune.keepBest=true", "--set", "dataset.limitTest=128",
        "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("validation top-1 after finetuning"), r.out());
    JsonNode run = Json.readTree(out.resolve(Harness.RUN_JSON));
    assertEquals(1000, run.path("metrics").path("validationSamples").asInt());
    assertEquals("validation", run.path("trajectory").path("finetuneEvaluatedOn").asText());
    for (JsonNode epoch : run.path("trajectory").path("finetune")) {
      assertEquals(5000, epoch.path("trainSamples").asInt(), "6,000 embedded training images minus 1,000 held out");
      assertEquals(1000, epoch.path("evaluation").path("samples").asInt());
    }
    assertTrue(run.path("provenance").path("dataChecksums").path("embedded/validation").asText().startsWith("sha256:"));
    assertEquals(r.lastJson().get("top1Validation").asDouble(), run.path("metrics").path("top1Validation").asDouble());

    Result noSplit = run(runArgs(shared.resolve("keep-best-without-split"), "--set", "finetune.keepBest=true"));
    assertEquals(2, noSplit.code(), noSplit.err());
    assertTrue(noSplit.err().contains("finetune.keepBest: selecting on the validation split needs "
        + "dataset.validation.size > 0; or set finetune.keepBestOn: test"), noSplit.err());
    Result tooBig = run(runArgs(shared.resolve("too-big"), "--set", "dataset.validation.size=6000"));
    assertEquals(2, tooBig.code(), tooBig.err());
    assertTrue(tooBig.err().contains("dataset.validation.size must be below the 6000 training images"), tooBig.err());
  }
}
