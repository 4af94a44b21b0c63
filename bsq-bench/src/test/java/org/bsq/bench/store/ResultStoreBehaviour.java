package org.bsq.bench.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import org.bsq.bench.cli.BsqCli;
import org.bsq.core.json.Json;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The result store's behaviour, run against every store: SQLite ({@link ResultStoreSqliteTest}), a PostgreSQL server
 * ({@link ResultStorePostgresTest}) and PostgreSQL in Testcontainers ({@link ResultStoreTestcontainersTest}).
 */
abstract class ResultStoreBehaviour {
  @TempDir
  Path tmp;

  /** The URL of an empty store for one test. */
  String url;

  /** A store no other test uses (an empty database, schema or file). */
  abstract String freshStore() throws Exception;

  @BeforeEach
  void fresh() throws Exception {
    url = freshStore();
  }

  static String hash(String s) {
    return "sha256:" + s;
  }

  private Path sampleTree() {
    Path runs = tmp.resolve("runs");
    RunJsonFixtures.write(runs.resolve("a"), RunJsonFixtures.finished(hash("a"), "haq", "resnet20", "cifar10", 42,
        0.91, 3.5));
    RunJsonFixtures.write(runs.resolve("nested/deeper/b"), RunJsonFixtures.finished(hash("b"), "bsq", "resnet20",
        "cifar10", 42, 0.925, 3.1));
    RunJsonFixtures.write(runs.resolve("nested/c"), RunJsonFixtures.finished(hash("c"), "haq", "tiny", "embedded", 7,
        0.6, 4.0));
    RunJsonFixtures.write(runs.resolve("d"), RunJsonFixtures.failed(hash("d"), "hawq", "resnet20", "cifar10", 42));
    return runs;
  }

  private static List<String> hashes(List<Map<String, Object>> rows) {
    return rows.stream().map(r -> (String) r.get("config_hash")).sorted().toList();
  }

  @Test
  void importIndexesEveryRunJsonRecursively() {
    ResultStore s = ResultStore.open(url);
    ResultStore.ImportResult r = s.importTree(sampleTree());
    assertEquals(4, r.indexed());
    assertEquals(List.of(), r.failures());
    List<Map<String, Object>> rows = s.query(List.of());
    assertEquals(List.of(hash("a"), hash("b"), hash("c"), hash("d")), hashes(rows));
    Map<String, Object> b = rows.stream().filter(x -> x.get("config_hash").equals(hash("b"))).findFirst().get();
    assertEquals("bsq", b.get("strategy"));
    assertEquals("resnet20", b.get("model"));
    assertEquals("cifar10", b.get("dataset"));
    assertEquals(42L, b.get("seed"));
    assertEquals(0.5, b.get("budget_scale"));
    assertEquals("finished", b.get("status"));
    assertEquals(0.925, (Double) b.get("top1"), 1e-12);
    assertEquals(0.915, (Double) b.get("top1_validation"), 1e-12);
    assertEquals(0.875, (Double) b.get("top1_before_finetune"), 1e-12);
    assertEquals(3.1, (Double) b.get("avg_bits"), 1e-12);
    assertTrue(((String) b.get("run_dir")).endsWith("deeper" + java.io.File.separator + "b"), b.toString());
    JsonNode cost = readTree((String) b.get("cost_json"));
    assertEquals(1.5, cost.path("bitfusion-e").path("latencyMs").asDouble());
    Map<String, Object> d = rows.stream().filter(x -> x.get("config_hash").equals(hash("d"))).findFirst().get();
    assertEquals("failed", d.get("status"));
    assertEquals(null, d.get("top1"));
    JsonNode whole = readTree(s.runJson(hash("b")));
    assertEquals(hash("b"), whole.path("configHash").asText());
    assertEquals(0.925, whole.path("metrics").path("top1").asDouble());
  }

  private static JsonNode readTree(String text) {
    try {
      return Json.files().readTree(text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void reimportsAndRetriedRunsNeverDuplicate() {
    Path runs = sampleTree();
    ResultStore s = ResultStore.open(url);
    s.importTree(runs);
    s.importTree(runs);
    // A retried run of configuration a in another folder, with a better result: replaces the row, one row stays.
    Path retry = RunJsonFixtures.write(tmp.resolve("retries/a-retry"), RunJsonFixtures.finished(hash("a"), "haq",
        "resnet20", "cifar10", 42, 0.93, 3.5));
    ResultStore.open(url).index(retry);
    ResultStore.open(url).importTree(tmp.resolve("retries"));
    Map<String, Long> counts = s.countsByHash();
    assertEquals(4, counts.size());
    counts.values().forEach(c -> assertEquals(1L, c));
    List<Map<String, Object>> a = s.query(List.of(ResultStore.Filter.parse("config_hash=" + hash("a"))));
    assertEquals(1, a.size());
    assertEquals(0.93, (Double) a.get(0).get("top1"), 1e-12);
  }

  @Test
  void aFinishedRunIsNeverReplacedByAFailedAttempt() {
    ResultStore s = ResultStore.open(url);
    s.index(RunJsonFixtures.write(tmp.resolve("ok"), RunJsonFixtures.finished(hash("x"), "haq", "m", "d", 1, 0.8,
        4)));
    s.index(RunJsonFixtures.write(tmp.resolve("bad"), RunJsonFixtures.failed(hash("x"), "haq", "m", "d", 1)));
    assertEquals("finished", s.query(List.of()).get(0).get("status"));
    // ... while a failed run is replaced when its retry finishes.
    s.index(RunJsonFixtures.write(tmp.resolve("bad2"), RunJsonFixtures.failed(hash("y"), "haq", "m", "d", 2)));
    s.index(RunJsonFixtures.write(tmp.resolve("ok2"), RunJsonFixtures.finished(hash("y"), "haq", "m", "d", 2, 0.7,
        4)));
    List<Map<String, Object>> y = s.query(List.of(ResultStore.Filter.parse("seed=2")));
    assertEquals(1, y.size());
    assertEquals("finished", y.get(0).get("status"));
    assertEquals(2, s.countsByHash().size());
  }

  @Test
  void whereFiltersAreWhitelistedAndBound() {
    ResultStore s = ResultStore.open(url);
    s.importTree(sampleTree());
    assertEquals(List.of(hash("a"), hash("c")), hashes(s.query(List.of(ResultStore.Filter.parse("strategy=haq")))));
    assertEquals(List.of(hash("a")), hashes(s.query(List.of(ResultStore.Filter.parse("strategy=haq"),
        ResultStore.Filter.parse("seed=42")))));
    assertEquals(List.of(hash("b")), hashes(s.query(List.of(ResultStore.Filter.parse("top1>0.92")))));
    assertEquals(List.of(hash("a"), hash("b"), hash("c")),
        hashes(s.query(List.of(ResultStore.Filter.parse("status!=failed")))));
    assertEquals(List.of(hash("b")), hashes(s.query(List.of(ResultStore.Filter.parse("avgBits<=3.1")))));
    // Values are bound, never spliced: an injection attempt matches nothing and leaves the table alone.
    assertEquals(List.of(), s.query(List.of(ResultStore.Filter.parse("strategy=haq' OR '1'='1"))));
    assertEquals(List.of(), s.query(List.of(ResultStore.Filter.parse("strategy=x'; DROP TABLE runs; --"))));
    assertEquals(4, s.countsByHash().size());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> ResultStore.Filter.parse("nope=1"));
    assertTrue(unknown.getMessage().contains("unknown column 'nope'"), unknown.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ResultStore.Filter.parse("strategy;DROP TABLE runs=1"));
    assertThrows(IllegalArgumentException.class, () -> ResultStore.Filter.parse("seed=abc"));
    assertThrows(IllegalArgumentException.class, () -> ResultStore.Filter.parse("run_json=x"));
  }

  @Test
  void theSchemaIsVersionedAndReopeningKeepsTheRows() {
    ResultStore s = ResultStore.open(url);
    assertEquals("1", s.schemaVersion());
    s.importTree(sampleTree());
    ResultStore again = ResultStore.open(url);
    assertEquals("1", again.schemaVersion());
    assertEquals(4, again.query(List.of()).size());
  }

  @Test
  void concurrentWriterThreadsLeaveExactlyOneRowPerHash() throws Exception {
    int threads = 8;
    int shared = 10;
    int repeats = 3;
    int own = 5;
    Path files = tmp.resolve("concurrent");
    // Every thread opens its own store (migrations race too) and writes the shared runs 3 times plus its own runs.
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      done.add(pool.submit(() -> {
        start.await();
        ResultStore s = ResultStore.open(url);
        int writes = 0;
        for (int r = 0; r < repeats; r++) {
          for (int i = 0; i < shared; i++) {
            s.index(RunJsonFixtures.write(files.resolve("t" + id + "/shared" + i), RunJsonFixtures.finished(
                hash("shared" + i), "haq", "m", "d", i, 0.5 + 0.01 * id, 4)));
            writes++;
          }
        }
        for (int i = 0; i < own; i++) {
          s.index(RunJsonFixtures.write(files.resolve("t" + id + "/own" + i), RunJsonFixtures.finished(
              hash("own" + id + "-" + i), "bsq", "m", "d", 100 + i, 0.6, 3)));
          writes++;
        }
        return writes;
      }));
    }
    start.countDown();
    int writes = 0;
    for (Future<Integer> f : done) {
      writes += f.get(5, TimeUnit.MINUTES);
    }
    pool.shutdown();
    assertEquals(threads * (shared * repeats + own), writes);
    Map<String, Long> counts = ResultStore.open(url).countsByHash();
    assertEquals(shared + threads * own, counts.size());
    counts.forEach((h, c) -> assertEquals(1L, c, h));
    System.out.printf("result store %s: %d threads, %d writes, %d rows (one per hash)%n",
        getClass().getSimpleName(), threads, writes, counts.size());
  }

  @Test
  void concurrentWriterProcessesLeaveExactlyOneRowPerHash() throws Exception {
    int processes = 3;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> ps = new ArrayList<>();
    for (int p = 0; p < processes; p++) {
      ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          ConcurrentWriterMain.class.getName(), url, "p" + p, tmp.resolve("proc" + p).toString());
      pb.redirectErrorStream(true);
      pb.redirectOutput(tmp.resolve("proc" + p + ".log").toFile());
      ps.add(pb.start());
    }
    for (int p = 0; p < processes; p++) {
      assertTrue(ps.get(p).waitFor(5, TimeUnit.MINUTES), "writer process " + p + " timed out");
      assertEquals(0, ps.get(p).exitValue(), () -> readLog());
    }
    Map<String, Long> counts = ResultStore.open(url).countsByHash();
    assertEquals(ConcurrentWriterMain.SHARED + processes * ConcurrentWriterMain.OWN, counts.size());
    counts.forEach((h, c) -> assertEquals(1L, c, h));
    System.out.printf("result store %s: %d processes, %d writes, %d rows (one per hash)%n",
        getClass().getSimpleName(), processes,
        processes * (ConcurrentWriterMain.SHARED * ConcurrentWriterMain.REPEATS + ConcurrentWriterMain.OWN),
        counts.size());
  }

  private String readLog() {
    StringBuilder sb = new StringBuilder();
    try (var files = Files.list(tmp)) {
      for (Path f : files.filter(x -> x.toString().endsWith(".log")).toList()) {
        sb.append(f).append(":\n").append(Files.readString(f)).append('\n');
      }
    } catch (java.io.IOException e) {
      sb.append(e);
    }
    return sb.toString();
  }

  private record Cli(int code, String out, String err) {}

  private static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BsqCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Cli(code, out.toString(), err.toString());
  }

  @Test
  void theCommandLineImportsAndQueries() throws Exception {
    Path runs = sampleTree();
    Files.createDirectories(runs.resolve("broken"));
    Files.writeString(runs.resolve("broken").resolve("run.json"), "{not json", java.nio.charset.StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
    Cli imp = cli("results", "import", "--store", url, runs.toString());
    assertEquals(1, imp.code(), imp.err());
    assertTrue(imp.out().contains("indexed 4 run.json files"), imp.out());
    assertTrue(imp.err().contains("not indexed") && imp.err().contains("broken"), imp.err());
    Files.delete(runs.resolve("broken").resolve("run.json"));
    Cli again = cli("results", "--store", url, "import", runs.toString());
    assertEquals(0, again.code(), again.err());
    assertTrue(again.out().contains("(4 runs stored)"), again.out());

    Cli table = cli("results", "--store", url, "--where", "strategy=haq");
    assertEquals(0, table.code(), table.err());
    assertTrue(table.out().contains("2 runs"), table.out());
    assertTrue(table.out().lines().findFirst().orElseThrow().startsWith("config_hash"), table.out());

    Cli json = cli("results", "--store", url, "--where", "strategy=haq", "--where", "seed=42", "--json");
    assertEquals(0, json.code(), json.err());
    JsonNode arr = readTree(json.out().strip());
    assertEquals(1, arr.size());
    assertEquals(hash("a"), arr.get(0).path("config_hash").asText());
    assertEquals(1.5, arr.get(0).path("cost").path("bitfusion-e").path("latencyMs").asDouble());

    Cli csv = cli("results", "--store", url, "--csv", "--where", "status=finished");
    assertEquals(0, csv.code(), csv.err());
    List<String> lines = csv.out().lines().toList();
    assertEquals(4, lines.size(), csv.out());
    assertTrue(lines.get(0).startsWith("config_hash,strategy,model,dataset,seed"), lines.get(0));

    Cli bad = cli("results", "--store", url, "--where", "nope=1");
    assertEquals(BsqCli.USAGE, bad.code());
    assertTrue(bad.err().contains("unknown column 'nope'"), bad.err());
    assertNotNull(ResultStore.open(url).runJson(hash("c")));
  }
}
