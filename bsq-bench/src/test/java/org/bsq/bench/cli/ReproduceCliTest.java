package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bsq reproduce}: a miniature of Table 1's sweep on the embedded data (the table's run ids, tiny budgets) runs,
 * renders the table in three formats with the report, and a second call trains nothing.
 */
class ReproduceCliTest {
  static final String DATA = "dataset: {name: embedded, batchSize: 64, limitTrain: 256, limitTest: 128}\n";
  static final String MODEL = "model: {name: small-cnn, activation: relu, actBits: 0}\n";

  static Path miniSweep(Path dir) throws Exception {
    Files.writeString(dir.resolve("bsq.yaml"), MODEL + DATA + """
        strategy:
          name: bsq
          budget: {epochs: 2}
          params: {alpha: 1.0, recipeEpochs: 2, learningRate: 0.02, lrMilestones: [1], requantizeInterval: 1,
                   activationBits: 0}
        finetune: {epochs: 1, learningRate: 0.02}
        accelerators: [bitfusion-e, stripes]
        seed: 42
        """);
    Files.writeString(dir.resolve("uniform.yaml"), MODEL + DATA + """
        strategy: {name: uniform, params: {weightBits: 4, activationBits: 0}}
        finetune: {epochs: 1, learningRate: 0.02}
        accelerators: [bitfusion-e, stripes]
        seed: 42
        """);
    Files.writeString(dir.resolve("scheme.yaml"), MODEL + DATA + """
        strategy: {name: scheme, params: {run: null}}
        finetune: {epochs: 1, learningRate: 0.02}
        accelerators: [bitfusion-e, stripes]
        seed: 42
        """);
    return Files.writeString(dir.resolve("mini-table1.yaml"), """
        name: mini-table1
        runs:
          - {id: bsq-a5e-3, config: bsq.yaml}
          - id: scratch-a5e-3
            config: scheme.yaml
            set: {strategy.params.run: "${bsq-a5e-3.runJson}"}
          - id: uniform-matched
            config: uniform.yaml
            set: {strategy.params.weightBits: "${bsq-a5e-3.avgBits:floor}"}
        """);
  }

  @Test
  @Tag("integration")
  void aMiniatureTable1RunsRendersAndAReRunTrainsNothing(@TempDir Path tmp) throws Exception {
    Path sweep = miniSweep(tmp);
    Path out = tmp.resolve("out");
    String[] args = {"reproduce", "table1", "--sweep", sweep.toString(), "--out", out.toString()};
    BsqCliTest.Result r = BsqCliTest.run(args);
    assertEquals(0, r.code(), r.err() + r.out());
    for (String ext : List.of("md", "csv", "tex")) {
      assertTrue(Files.size(out.resolve("table1." + ext)) > 0, ext);
    }
    List<String> csv = Files.readAllLines(out.resolve("table1.csv"));
    String bsqRow = csv.stream().filter(l -> l.startsWith("BSQ,5e-3,")).findFirst().orElseThrow();
    assertTrue(!bsqRow.contains("not in sweep"), bsqRow); // every column of the alpha 5e-3 row is ours or the paper's
    assertTrue(bsqRow.contains("14.24x\u2020"), bsqRow);
    assertTrue(csv.stream().anyMatch(l -> l.startsWith("BSQ,3e-3,not in sweep")), csv.toString());
    String uniformRow = csv.stream().filter(l -> l.startsWith("uniform QAT")).findFirst().orElseThrow();
    assertTrue(uniformRow.matches("uniform QAT at [^,]*,\u2014,[0-9]\\.00,.*"), uniformRow); // whole bits
    assertTrue(Files.readString(out.resolve("table1.tex")).contains("\\begin{tabular}"));
    assertTrue(Files.isRegularFile(out.resolve("report-table1/report.html")));
    assertTrue(r.out().contains("report: " + out.resolve("report-table1/report.html")), r.out());

    FileTime before = Files.getLastModifiedTime(out.resolve("bsq-a5e-3/run.json"));
    BsqCliTest.Result again = BsqCliTest.run(args);
    assertEquals(0, again.code(), again.err());
    assertEquals(before, Files.getLastModifiedTime(out.resolve("bsq-a5e-3/run.json")));
    assertTrue(again.err().contains("3 done") || again.err().contains("3 of 3"), again.err());
    assertEquals(csv, Files.readAllLines(out.resolve("table1.csv")), "the same table from the same runs");
  }

  @Test
  void usageErrorsNameTheBadValue(@TempDir Path tmp) throws Exception {
    BsqCliTest.Result r = BsqCliTest.run("reproduce", "table3", "--out", tmp.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("TABLE must be one of [table1, table2], was 'table3'"), r.err());
    BsqCliTest.Result d = BsqCliTest.run("reproduce", "table1", "--data-dir", tmp.resolve("nope").toString());
    assertEquals(2, d.code());
    assertTrue(d.err().contains("--data-dir must be an existing folder"), d.err());
  }
}
