package org.bsq.bench.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bsq.core.config.ConfigDocument;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading sweep files: grids, ids, references, their order and their errors; plans by binding only. */
class SweepFileTest {
  @TempDir
  Path tmp;

  @BeforeEach
  void experimentFiles() throws Exception {
    Files.writeString(tmp.resolve("uniform.yaml"), """
        model: {name: small-cnn, activation: relu, actBits: 0}
        dataset: {name: embedded, batchSize: 64, limitTrain: 256, limitTest: 128}
        strategy:
          name: uniform
          params: {weightBits: 4, activationBits: 0, mode: ptq}
        seed: 1
        """);
    Files.writeString(tmp.resolve("bsq.yaml"), """
        model: {name: small-cnn}
        dataset: {name: embedded}
        strategy:
          name: bsq
          params: {alpha: 0.005}
        """);
  }

  private SweepFile parse(String text) {
    return SweepFile.parse(text, "test-sweep.yaml", tmp);
  }

  private String problems(String text) {
    return assertThrows(IllegalArgumentException.class, () -> parse(text)).getMessage();
  }

  @Test
  void gridsExpandInFileOrderWithTheLastAxisFastest() {
    SweepFile s = parse("""
        name: g
        set: {dataset.limitTest: 64}
        runs:
          - {id: first, config: uniform.yaml}
        grid:
          - id: "{strategy.name}-a{strategy.params.alpha}-s{seed}"
            config: bsq.yaml
            axes:
              strategy.params.alpha: [3.0e-3, 5.0e-3]
              seed: [1, 2, 3]
            set: {finetune.epochs: 2}
          - id: "w{strategy.params.weightBits}-lr{finetune.learningRate}"
            config: uniform.yaml
            axes: {strategy.params.weightBits: [2, 8], finetune.learningRate: [0.05, 1.5e6]}
        """);
    assertEquals(List.of("first", "bsq-a3e-3-s1", "bsq-a3e-3-s2", "bsq-a3e-3-s3", "bsq-a5e-3-s1", "bsq-a5e-3-s2",
        "bsq-a5e-3-s3", "w2-lr0.05", "w2-lr1.5e6", "w8-lr0.05", "w8-lr1.5e6"),
        s.runs().stream().map(SweepFile.RunSpec::id).toList());
    SweepFile.RunSpec r = s.runs().get(5);
    assertEquals(List.of("dataset.limitTest=64", "finetune.epochs=2", "strategy.params.alpha=0.005", "seed=2"),
        r.overrides());
    assertEquals(tmp.resolve("bsq.yaml"), r.config());
    // the overrides are bsq run --set text: applied to the experiment, they give the values of the file
    JsonNode tree = ConfigDocument.read(r.config()).withOverrides(r.overrides()).tree();
    assertEquals(0.005, tree.at("/strategy/params/alpha").asDouble());
    assertEquals(2, tree.at("/seed").asInt());
    assertEquals(64, tree.at("/dataset/limitTest").asInt());
  }

  @Test
  void referencesOrderTheRunsAndWaitForNumbers() {
    SweepFile s = parse("""
        name: refs
        runs:
          - id: matched
            config: uniform.yaml
            set: {strategy.params.weightBits: "${base.avgBits:floor}"}
          - id: from-path
            config: uniform.yaml
            set: {dataset.dataDir: "${base.dir}"}
          - {id: base, config: uniform.yaml}
        """).withOverrides(List.of("dataset.limitTest=32"));
    assertEquals(List.of("base"), s.runs().get(0).dependencies());
    SweepPlan plan = s.plan(0.5, tmp.resolve("out"));
    assertEquals(List.of("base", "matched", "from-path"), plan.runs().stream().map(PlannedRun::id).toList());
    PlannedRun matched = plan.run("matched");
    assertTrue(matched.waitingForReferences(), matched.toString());
    assertNull(matched.resolvedOverrides());
    // a path reference waits too: what it names exists only once its run has finished (the scheme strategy checks
    // that its run.json exists when it binds)
    assertTrue(plan.run("from-path").waitingForReferences());
    PlannedRun fromPath = plan.resolve(plan.run("from-path"), id -> record(3.7));
    assertEquals("dataset.dataDir=" + Json.line(tmp.resolve("out").resolve("base").toString()),
        fromPath.resolvedOverrides().get(0));
    assertEquals("dataset.limitTest=32", fromPath.resolvedOverrides().get(1));
    assertEquals(tmp.resolve("out").resolve("base"), plan.run("base").runDir());
    // once base has a record, matched resolves: 3.7 bits floor to 3
    PlannedRun resolved = plan.resolve(matched, id -> record(3.7));
    assertEquals("strategy.params.weightBits=3", resolved.resolvedOverrides().get(0));
    assertNotNull(resolved.configHash());
    PlannedRun other = plan.resolve(matched, id -> record(4.2));
    assertEquals(other.configHash(), plan.resolve(matched, id -> record(4.9)).configHash(), "both floor to 4");
    assertTrue(!other.configHash().equals(resolved.configHash()));
  }

  @Test
  void roundingsAndPlainNumbers() {
    Reference floor = new Reference("a", "avgBits", "floor");
    assertEquals("3", floor.number(record(3.7)));
    assertEquals("4", new Reference("a", "avgBits", "ceil").number(record(3.2)));
    assertEquals("4", new Reference("a", "avgBits", "round").number(record(3.5)));
    assertEquals("3.25", new Reference("a", "avgBits", null).number(record(3.25)));
    assertEquals("0.91", new Reference("a", "top1", null).number(record(3.0)));
    assertEquals("\"/o/a/run.json\"", Reference.substitute("${a.runJson}", id -> Path.of("/o", id), id -> null));
    assertEquals("\"prefix /o/a\"", Reference.substitute("\"prefix ${a.dir}\"", id -> Path.of("/o", id), id -> null));
  }

  @Test
  void latencyAndEnergyOfAPresetAreNumbersOfTheRecordsCost() throws Exception {
    RunRecord r = Json.files().readValue("{\"formatVersion\":2,\"status\":\"finished\",\"strategy\":\"bsq\","
        + "\"cost\":{\"unpu\":{\"latencyMsPerImage\":0.008340375,\"energyMjPerImage\":0.0142}}}", RunRecord.class);
    List<String> problems = new java.util.ArrayList<>();
    List<Reference> refs = Reference.find("${lat-unpu-a0.4.latency@unpu}", "set", problems);
    assertEquals(List.of(new Reference("lat-unpu-a0.4", "latency@unpu", null)), refs, problems.toString());
    assertTrue(refs.get(0).numeric());
    assertEquals("0.008340375", refs.get(0).number(r));
    assertEquals("0.0142", new Reference("a", "energy@unpu", null).number(r));
    String missing = assertThrows(IllegalArgumentException.class,
        () -> new Reference("a", "latency@loom", null).number(r)).getMessage();
    assertTrue(missing.contains("needs run a to be priced on 'loom' (add it to its accelerators:), was priced on "
        + "[unpu]"), missing);
    Reference.find("${a.speed@unpu}", "set", problems);
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("METRIC@PRESET (METRIC one of [latency, energy])")
        && problems.get(0).contains("(unknown field 'speed@unpu')"), problems.get(0));
  }

  @Test
  void errorsNameTheBadValueAndTheRule() {
    String dup = problems("""
        name: d
        runs:
          - {id: w4-s1, config: uniform.yaml}
        grid:
          - {id: "w{strategy.params.weightBits}-s{seed}", config: uniform.yaml,
             axes: {strategy.params.weightBits: [4], seed: [1]}}
        """);
    assertTrue(dup.contains("ids must be unique, 'w4-s1' is also the id of runs[0]"), dup);
    String cycle = problems("""
        name: c
        runs:
          - {id: a, config: uniform.yaml, set: {strategy.params.weightBits: "${b.avgBits:floor}"}}
          - {id: b, config: uniform.yaml, set: {strategy.params.weightBits: "${c.avgBits:ceil}"}}
          - {id: c, config: uniform.yaml, set: {dataset.dataDir: "${a.dir}"}}
        """);
    assertTrue(cycle.contains("cycle, found a -> b -> c -> a"), cycle);
    String unknown = problems("""
        name: u
        runs:
          - {id: a, config: uniform.yaml, set: {strategy.params.weightBits: "${nope.avgBits}"}}
        """);
    assertTrue(unknown.contains("reference ${nope.avgBits} must name a run of this sweep, 'nope' is none"), unknown);
    String field = problems("""
        name: f
        runs:
          - {id: a, config: uniform.yaml}
          - {id: b, config: uniform.yaml, set: {seed: "${a.accuracy}"}}
          - {id: c, config: uniform.yaml, set: {seed: "${a.dir:floor}"}}
        """);
    assertTrue(field.contains("was '${a.accuracy}' (unknown field 'accuracy')"), field);
    assertTrue(field.contains("was '${a.dir:floor}' (rounding 'floor')"), field);
    String id = problems("""
        name: i
        runs:
          - {id: Bad_Id, config: uniform.yaml}
          - {id: x, config: missing.yaml}
          - {id: y, config: uniform.yaml, sett: {}}
        """);
    assertTrue(id.contains("runs[0].id: must match [a-z0-9._-]+ (it names the run's folder), was 'Bad_Id'"), id);
    assertTrue(id.contains("runs[1].config: must be an experiment file"), id);
    assertTrue(id.contains("runs[2].sett: unknown key; known keys here: [id, config, set]"), id);
    String template = problems("""
        name: t
        grid:
          - {id: "x-{nosuch.key}", config: uniform.yaml, axes: {seed: [1]}}
        """);
    assertTrue(template.contains("template key {nosuch.key} must be an axis [seed] or a value of the experiment"),
        template);
    assertTrue(problems("name: e\n").contains("a sweep needs at least one run"));
    String set = assertThrows(IllegalArgumentException.class, () -> parse("name: s\nruns: [{id: a, config: "
        + "uniform.yaml}]\n").withOverrides(List.of("noequals"))).getMessage();
    assertTrue(set.contains("--set must look like key.path=value, was 'noequals'"), set);
  }

  @Test
  void planningFailsNamingTheRunWhoseConfigurationDoesNotBind() {
    SweepFile s = parse("name: p\nruns:\n  - {id: a, config: uniform.yaml, set: {strategy.params.weightBits: "
        + "\"many\"}}\n");
    String m = assertThrows(IllegalArgumentException.class, () -> s.plan(1, tmp.resolve("out"))).getMessage();
    assertTrue(m.contains("run a (") && m.contains("strategy.params.weightBits"), m);
    assertThrows(IllegalArgumentException.class, () -> s.plan(0, tmp.resolve("out")));
  }

  @Test
  void theHardwareAwareSweepsPlanAndHaqWaitsForTheLatencyItMatches() throws Exception {
    SweepPlan embedded = SweepFile.read(Path.of("..", "configs", "sweeps", "hw-aware-embedded.yaml")).plan(1, tmp);
    // listed runs first, then the grid; HAQ right after the run whose latency it matches (dependency order)
    assertEquals(List.of("lat-bf-a0.4", "mem-a1", "mem-a0.4", "mem-a0.2", "mem-a0.1", "lat-unpu-a1", "lat-unpu-a0.4",
        "haq-lat-matched", "lat-unpu-a0.2", "lat-unpu-a0.1"), embedded.runs().stream().map(PlannedRun::id).toList());
    JsonNode lat = ConfigDocument.read(embedded.run("lat-unpu-a0.4").config())
        .withOverrides(embedded.run("lat-unpu-a0.4").resolvedOverrides()).tree();
    assertEquals("latency", lat.at("/strategy/params/regularizerWeighting").asText());
    assertEquals("unpu", lat.at("/strategy/params/weightingAccelerator").asText());
    assertEquals(0.4, lat.at("/strategy/params/alpha").asDouble(), 0.0);

    SweepPlan resnet = SweepFile.read(Path.of("..", "configs", "sweeps", "hw-aware-resnet20.yaml"))
        .plan(0.02, tmp.resolve("r"));
    assertEquals(List.of("mem-a0.05", "mem-a0.1", "lat-bf-a0.05", "haq-lat-matched", "lat-bf-a0.1"),
        resnet.runs().stream().map(PlannedRun::id).toList());
    PlannedRun haq = resnet.run("haq-lat-matched");
    assertTrue(haq.waitingForReferences(), haq.toString());
    RunRecord bsq = Json.files().readValue("{\"formatVersion\":2,\"status\":\"finished\",\"strategy\":\"bsq\","
        + "\"cost\":{\"bitfusion-e\":{\"latencyMsPerImage\":0.1875}}}", RunRecord.class);
    PlannedRun resolved = resnet.resolve(haq, id -> bsq);
    JsonNode h = ConfigDocument.read(resolved.config()).withOverrides(resolved.resolvedOverrides()).tree();
    assertEquals(0.1875, h.at("/strategy/params/budget/value").asDouble(), 0.0, resolved.resolvedOverrides()
        .toString());
    assertEquals("latency", h.at("/objective/metric").asText());
    assertEquals("bitfusion-e", h.at("/objective/accelerator").asText());
  }

  @Test
  void theShippedExampleSweepPlans() {
    SweepPlan plan = SweepFile.read(Path.of("..", "configs", "sweeps", "embedded-compare.yaml")).plan(1, tmp);
    assertEquals(List.of("uniform-w4-s1", "uniform-w4-s2", "hawq-b3.5-s1", "hawq-b3.5-s2", "random-b3.5-s1",
        "random-b3.5-s2"), plan.runs().stream().map(PlannedRun::id).toList());
    assertEquals(6, plan.runs().stream().map(PlannedRun::configHash).distinct().count());
    JsonNode uniform = ConfigDocument.read(plan.run("uniform-w4-s2").config())
        .withOverrides(plan.run("uniform-w4-s2").resolvedOverrides()).tree();
    assertEquals("uniform", uniform.at("/strategy/name").asText());
    assertEquals(4, uniform.at("/strategy/params/weightBits").asInt());
    assertTrue(uniform.at("/strategy/params/budget").isMissingNode());
    assertEquals(2, uniform.at("/seed").asInt());
    assertTrue(uniform.at("/model/weights").asText().endsWith("runs/demo/weights"));
  }

  /** A finished record with these average bits (top-1 0.91, compression 32/bits). */
  static RunRecord record(double avgBits) {
    String json = "{\"formatVersion\":2,\"status\":\"finished\",\"strategy\":\"uniform\",\"avgBits\":" + avgBits
        + ",\"metrics\":{\"top1\":0.91},\"compression\":{\"paper\":" + 32 / avgBits + "}}";
    try {
      return Json.files().readValue(json, RunRecord.class);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
