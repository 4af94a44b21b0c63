package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bsq.bench.report.ReportFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bsq report}: from folders and from a store, and its usage errors (exit 2, nothing written). */
class ReportCliTest {
  private static void runs(Path dir) throws Exception {
    ReportFixtures.write(dir.resolve("sweep/a"), ReportFixtures.finished("bsq", 0, 0.9, new int[] {4, 3, 2}, "a"));
    ReportFixtures.write(dir.resolve("sweep/b"), ReportFixtures.finished("bsq", 1, 0.91, new int[] {4, 3, 2}, "a"));
    ReportFixtures.write(dir.resolve("sweep/c"), ReportFixtures.finished("uniform", 0, 0.8, new int[] {4, 4, 4},
        "w4"));
    ReportFixtures.write(dir.resolve("sweep/d"), ReportFixtures.failed("haq", 0));
  }

  @Test
  void writesTheReportFromRunFolders(@TempDir Path tmp) throws Exception {
    runs(tmp);
    BsqCliTest.Result r = BsqCliTest.run("report", tmp.resolve("sweep").toString(), "--out",
        tmp.resolve("out").toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("report of 4 runs (1 failed, listed only): " + tmp.resolve("out/report.html"), r.out().strip());
    assertTrue(Files.isRegularFile(tmp.resolve("out/figures/pareto-avgbits.svg")));
    assertTrue(Files.isRegularFile(tmp.resolve("out/figures/pareto-latency-bitfusion-e.png")));
    assertTrue(Files.isRegularFile(tmp.resolve("out/figures/bitplanes-sweep-a.png")));
    assertTrue(Files.readString(tmp.resolve("out/report.html")).contains("sweep/d (haq, seed 0)"));
  }

  @Test
  void writesTheReportFromAStore(@TempDir Path tmp) throws Exception {
    runs(tmp);
    String store = tmp.resolve("results.db").toString();
    assertEquals(0, BsqCliTest.run("results", "import", "--store", store, tmp.resolve("sweep").toString()).code());
    BsqCliTest.Result r = BsqCliTest.run("report", "--store", store, "--where", "strategy=bsq", "--out",
        tmp.resolve("out").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("report of 2 runs (0 failed, listed only)"), r.out());
    String html = Files.readString(tmp.resolve("out/report.html"));
    assertFalse(html.contains("uniform"));
  }

  @Test
  void usageErrorsNameTheBadValueAndWriteNothing(@TempDir Path tmp) throws Exception {
    runs(tmp);
    String out = tmp.resolve("out").toString();
    String store = tmp.resolve("results.db").toString();
    String[][] cases = {
        {"bsq: give either RUN_DIR... or --store URL (neither given)", "report", "--out", out},
        {"bsq: give either RUN_DIR... or --store URL (both given)", "report", tmp.toString(), "--store", store,
            "--out", out},
        {"bsq: --where strategy=bsq filters a result store: it needs --store URL", "report", tmp.toString(),
            "--where", "strategy=bsq", "--out", out},
        {"bsq: run folder " + tmp.resolve("nope") + " does not exist", "report", tmp.resolve("nope").toString(),
            "--out", out},
        {"bsq: no run in the result store jdbc:sqlite:" + store + " matches strategy=zzz", "report", "--store", store, "--where", "strategy=zzz", "--out", out},
    };
    for (String[] c : cases) {
      String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
      BsqCliTest.Result r = BsqCliTest.run(args);
      assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
      assertEquals(c[0], r.err().lines().findFirst().orElseThrow(), String.join(" ", args));
      assertFalse(Files.exists(tmp.resolve("out")), String.join(" ", args));
    }
    BsqCliTest.Result missingOut = BsqCliTest.run("report", tmp.toString());
    assertEquals(2, missingOut.code());
    assertTrue(missingOut.err().contains("--out"), missingOut.err());
  }
}
