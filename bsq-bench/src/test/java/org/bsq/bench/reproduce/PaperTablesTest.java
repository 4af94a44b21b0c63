package org.bsq.bench.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import org.junit.jupiter.api.Test;

class PaperTablesTest {
  static RunRecord record(String strategy, double avgBits, double before, double after, double latency) {
    ObjectNode o = Json.files().createObjectNode();
    o.put("formatVersion", 2).put("status", "finished").put("strategy", strategy);
    o.putObject("config").put("seed", 42);
    o.put("configHash", "h-" + strategy + avgBits).put("seed", 42).put("budgetScale", 0.002);
    o.putObject("metrics").put("top1Float", 0.8123).put("top1BeforeFinetune", before).put("top1", after)
        .put("top5", 0.99).put("loss", 0.3).put("testSamples", 10000);
    o.putObject("compression").put("paper", 32.0 / avgBits).put("wholeModel", 10.0).put("wholeModelBits", 1);
    o.put("avgBits", avgBits);
    ObjectNode cost = o.putObject("cost");
    cost.putObject("bitfusion-e").put("latencyMsPerImage", latency).put("energyMjPerImage", latency / 10);
    cost.putObject("stripes").put("latencyMsPerImage", 2 * latency).put("energyMjPerImage", latency / 5);
    return Json.files().convertValue(o, RunRecord.class);
  }

  static Map<String, RunResult> table1Runs() {
    Map<String, RunResult> runs = new LinkedHashMap<>();
    for (int i = 0; i < PaperTables.BSQ_IDS.size(); i++) {
      String id = PaperTables.BSQ_IDS.get(i);
      runs.put(id, RunResult.done(id, record("bsq", 7.5 - i, 0.80 - 0.01 * i, 0.81 - 0.01 * i, 0.05 - 0.005 * i)));
      String s = PaperTables.SCRATCH_IDS.get(i);
      runs.put(s, RunResult.done(s, record("scheme", 7.5 - i, 0.79, 0.795 - 0.01 * i, 0.05)));
    }
    runs.put("uniform-matched", RunResult.done("uniform-matched", record("uniform", 6, 0.7, 0.78, 0.04)));
    runs.put("haq-matched", RunResult.notDone("haq-matched", "failed", "diverged"));
    runs.put("hawq-matched", RunResult.notDone("hawq-matched", "waiting", null));
    return runs;
  }

  @Test
  void table1HasThePaperLayoutOursBesideThePaperAndTheRunStates() {
    Table t = PaperTables.table1(table1Runs(), List.of("bitfusion-e", "stripes"), List.of("budget scale 0.002"));
    assertEquals(12 + 4, t.columns().size());
    assertEquals(1 + 5 + 3, t.rows().size());
    List<String> fp = t.rows().get(0);
    assertEquals("81.23", fp.get(5)); // the float model's top-1, from the records
    assertEquals("92.55", fp.get(10)); // the authors' log: primary, so no dagger
    List<String> a3 = t.rows().get(1);
    assertEquals(List.of("BSQ", "3e-3", "7.50", "4.27x", "80.00", "81.00", "79.50", "3.02\u2020", "10.60x\u2020",
        "91.30\u2020", "92.60\u2020", "91.72\u2020", "0.05000", "0.005000", "0.1000", "0.01000"), a3);
    assertEquals("2e-2", t.rows().get(5).get(1));
    List<String> uniform = t.rows().get(6);
    assertEquals("6.00", uniform.get(2));
    assertEquals("78.00", uniform.get(5));
    assertEquals("failed", t.rows().get(7).get(2));
    assertEquals("waiting", t.rows().get(8).get(5));
    assertTrue(t.notes().get(0).contains("0.002"));
  }

  @Test
  void table2QuotesTheLiteratureAndSaysUnknownWhereNoSourceWasRead() {
    Map<String, RunResult> runs = table1Runs();
    runs.put(PaperTables.BSQ_FP_ACT_ID, RunResult.done(PaperTables.BSQ_FP_ACT_ID, record("bsq", 5, 0.8, 0.83, 0.06)));
    Table t = PaperTables.table2(runs, List.of("bitfusion-e"), List.of());
    List<String> hawqPaper = t.rows().stream().filter(r -> r.get(0).startsWith("HAWQ (Dong")).findFirst().orElseThrow();
    assertEquals("13.11x", hawqPaper.get(3));
    assertEquals("unknown", hawqPaper.get(4));
    List<String> dnas = t.rows().stream().filter(r -> r.get(0).startsWith("DNAS")).findFirst().orElseThrow();
    assertEquals("unknown", dnas.get(3));
    List<String> fpAct = t.rows().get(1);
    assertEquals("32", fpAct.get(1));
    assertEquals("83.00", fpAct.get(4));
    assertEquals("not in sweep", t.rows().get(4).get(2)); // uniform-w4a4 is not among these runs
  }

  @Test
  void markdownCsvAndLatexHoldTheSameCellsEscaped() {
    Table t = new Table("a_b", List.of("m", "v"), List.of(List.of("x|y", "1,5"), List.of("q\"r", "50%")),
        List.of("n & m"));
    assertEquals("## a_b\n\n| m | v |\n|---|---:|\n| x\\|y | 1,5 |\n| q\"r | 50% |\n\n- n & m\n", t.markdown());
    assertEquals("m,v\r\nx|y,\"1,5\"\r\n\"q\"\"r\",50%\r\n", t.csv());
    String tex = t.latex();
    assertTrue(tex.contains("\\caption{a\\_b}"), tex);
    assertTrue(tex.contains("x|y & 1,5 \\\\"), tex);
    assertTrue(tex.contains("q\"r & 50\\% \\\\"), tex);
    assertTrue(tex.contains("n \\& m"), tex);
    assertEquals("$\\alpha$ 3e-3 $^\\dagger$", Table.tex("\u03b1 3e-3 \u2020"));
    assertThrows(IllegalArgumentException.class, () -> new Table("t", List.of("a"), List.of(List.of("1", "2")),
        List.of()));
  }
}
