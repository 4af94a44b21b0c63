package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bsq run --store URL} indexes the run when it ends; running the finished folder again keeps one row. */
class RunStoreCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void runIndexesItsRecordIntoTheStore(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("ptq");
    String store = "jdbc:sqlite:" + tmp.resolve("results.db");
    String[] args = {"run", Path.of("..", "configs", "embedded-uniform4.yaml").toString(), "--budget-scale", "0.25",
        "--set", "strategy.params.mode=ptq", "--set", "dataset.limitTrain=256", "--set", "dataset.limitTest=128",
        "--out", out.toString(), "--store", store};
    BsqCliTest.Result r = BsqCliTest.run(args);
    assertEquals(0, r.code(), r.err());
    BsqCliTest.Result again = BsqCliTest.run(args);
    assertEquals(0, again.code(), again.err());
    JsonNode run = JSON.readTree(Files.readString(out.resolve("run.json")));
    BsqCliTest.Result q = BsqCliTest.run("results", "--store", store, "--json");
    assertEquals(0, q.code(), q.err());
    JsonNode rows = JSON.readTree(q.out().strip());
    assertEquals(1, rows.size(), q.out());
    assertEquals(run.path("configHash").asText(), rows.get(0).path("config_hash").asText());
    assertEquals("uniform", rows.get(0).path("strategy").asText());
    assertEquals(run.at("/metrics/top1").asDouble(), rows.get(0).path("top1").asDouble(), 0.0);
    assertTrue(rows.get(0).path("run_dir").asText().endsWith("ptq"), q.out());
    assertEquals("small-cnn", rows.get(0).path("model").asText()); // read from config.experiment
    assertEquals("embedded", rows.get(0).path("dataset").asText());
  }

  @Test
  void aRunThatFailsAfterItStartedIsIndexedAsFailed(@TempDir Path tmp) throws Exception {
    Path notARecord = Files.writeString(tmp.resolve("not-a-run.json"), "{}");
    Path out = tmp.resolve("scheme");
    String store = "jdbc:sqlite:" + tmp.resolve("results.db");
    BsqCliTest.Result r = BsqCliTest.run("run", Path.of("..", "configs", "embedded-uniform4.yaml").toString(),
        "--set", "strategy.name=scheme", "--set", "strategy.params={run: " + notARecord + "}",
        "--set", "dataset.limitTrain=256", "--set", "dataset.limitTest=128", "--out", out.toString(),
        "--store", store);
    assertEquals(1, r.code(), r.err());
    assertEquals("failed", JSON.readTree(Files.readString(out.resolve("run.json"))).path("status").asText());
    BsqCliTest.Result q = BsqCliTest.run("results", "--store", store, "--json");
    JsonNode rows = JSON.readTree(q.out().strip());
    assertEquals(1, rows.size(), q.out());
    assertEquals("failed", rows.get(0).path("status").asText());
  }
}
