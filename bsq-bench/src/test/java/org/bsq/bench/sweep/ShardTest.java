package org.bsq.bench.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bsq.bench.cli.BsqCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --shard I/N}: every run in exactly one shard, references never cross shards, the same answer every time. */
class ShardTest {
  @TempDir
  Path tmp;

  /** A random plan: {@code n} runs, each referring to up to three earlier runs with probability {@code p} each. */
  private static List<PlannedRun> randomPlan(Random rnd, int n, double p) {
    List<PlannedRun> runs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<String> deps = new ArrayList<>();
      for (int k = 0; k < 3 && i > 0; k++) {
        if (rnd.nextDouble() < p) {
          String dep = "r" + rnd.nextInt(i);
          if (!deps.contains(dep)) {
            deps.add(dep);
          }
        }
      }
      runs.add(new PlannedRun("r" + i, Path.of("/x.yaml"), List.of(), deps, Path.of("/out/r" + i), null, null));
    }
    return runs;
  }

  @Test
  void everyRunIsInExactlyOneShardAndReferencesStayInTheirRunsShard() {
    Random rnd = new Random(20261207L);
    int plans = 0;
    for (int trial = 0; trial < 300; trial++) {
      int size = 1 + rnd.nextInt(40);
      double p = new double[] {0, 0.05, 0.2, 0.6}[trial % 4];
      List<PlannedRun> plan = randomPlan(rnd, size, p);
      for (int n = 1; n <= 7; n++) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 1; i <= n; i++) {
          List<PlannedRun> part = new Shard(i, n).select(plan);
          List<String> ids = part.stream().map(PlannedRun::id).toList();
          // the plan's order is kept
          List<String> inOrder = plan.stream().map(PlannedRun::id).filter(ids::contains).toList();
          assertEquals(inOrder, ids);
          for (PlannedRun r : part) {
            Integer before = seen.put(r.id(), i);
            assertEquals(null, before, r.id() + " in shards " + before + " and " + i + " of " + n);
            assertTrue(ids.containsAll(r.dependencies()), r.id() + "'s references " + r.dependencies()
                + " left shard " + i + "/" + n);
          }
          assertEquals(ids, new Shard(i, n).select(plan).stream().map(PlannedRun::id).toList(), "deterministic");
        }
        assertEquals(size, seen.size(), "every run of " + size + " in some shard of " + n);
      }
      plans++;
    }
    assertEquals(300, plans);
  }

  @Test
  void independentRunsAreDealtRoundRobin() {
    List<PlannedRun> plan = randomPlan(new Random(1), 10, 0);
    assertEquals(List.of("r0", "r3", "r6", "r9"), new Shard(1, 3).select(plan).stream().map(PlannedRun::id).toList());
    assertEquals(List.of("r1", "r4", "r7"), new Shard(2, 3).select(plan).stream().map(PlannedRun::id).toList());
    // more shards than runs: the last shards are empty
    assertEquals(List.of(), new Shard(7, 7).select(randomPlan(new Random(1), 3, 0)));
  }

  @Test
  void parsesIOverNAndNamesTheRule() {
    assertEquals(new Shard(2, 8), Shard.parse("2/8"));
    assertEquals(new Shard(1, 1), Shard.parse(" 1 / 1 "));
    for (String bad : List.of("0/3", "4/3", "1/0", "-1/2")) {
      String m = assertThrows(IllegalArgumentException.class, () -> Shard.parse(bad)).getMessage();
      assertTrue(m.contains("--shard must be I/N with N >= 1 and 1 <= I <= N, was " + bad), m);
    }
    for (String bad : List.of("3", "a/b", "1/2/3", "")) {
      String m = assertThrows(IllegalArgumentException.class, () -> Shard.parse(bad)).getMessage();
      assertTrue(m.startsWith("--shard must be I/N") && m.endsWith("was '" + bad + "'"), m);
    }
  }

  @Test
  void sweepStatusShowsOnlyItsShardAndBadValuesExitTwo() throws Exception {
    Files.writeString(tmp.resolve("uniform.yaml"), """
        model: {name: small-cnn, activation: relu, actBits: 0}
        dataset: {name: embedded, batchSize: 64, limitTrain: 256, limitTest: 128}
        strategy:
          name: uniform
          params: {weightBits: 4, activationBits: 0, mode: ptq}
        seed: 1
        """);
    Path file = Files.writeString(tmp.resolve("s.yaml"), """
        name: s
        runs:
          - {id: base, config: uniform.yaml, set: {strategy.params.weightBits: 3}}
          - {id: matched, config: uniform.yaml, set: {strategy.params.weightBits: "${base.avgBits:floor}"}}
        grid:
          - id: "w{strategy.params.weightBits}"
            config: uniform.yaml
            axes: {strategy.params.weightBits: [2, 4, 5]}
        """);
    String out = tmp.resolve("out").toString();
    List<List<String>> shards = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      StringWriter printed = new StringWriter();
      int code = BsqCli.execute(new String[] {"sweep", "status", file.toString(), "--out", out, "--shard", i + "/2"},
          new PrintWriter(printed, true), new PrintWriter(new StringWriter(), true));
      assertEquals(0, code, printed.toString());
      shards.add(printed.toString().lines().filter(l -> !l.startsWith("sweep "))
          .filter(l -> l.contains(" missing") || l.contains(" waiting"))
          .map(l -> l.split("\\s+")[0]).toList());
    }
    // groups in plan order: {base, matched}, w2, w4, w5 -> shard 1: base, matched, w4; shard 2: w2, w5
    assertEquals(List.of(List.of("base", "matched", "w4"), List.of("w2", "w5")), shards);
    StringWriter err = new StringWriter();
    int code = BsqCli.execute(new String[] {"sweep", file.toString(), "--out", out, "--shard", "3/2"},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code);
    assertTrue(err.toString().contains("--shard must be I/N with N >= 1 and 1 <= I <= N, was 3/2"), err.toString());
  }
}
