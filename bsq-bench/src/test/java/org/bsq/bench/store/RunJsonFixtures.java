package org.bsq.bench.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bsq.core.harness.Harness;
import org.bsq.core.json.Json;

/** Writes small but valid run.json files (read back by {@link Harness#readRecord}). */
final class RunJsonFixtures {
  private RunJsonFixtures() {}

  /** A finished run's document. */
  static ObjectNode finished(String hash, String strategy, String model, String dataset, long seed, double top1,
                             double avgBits) {
    ObjectNode o = base(hash, strategy, model, dataset, seed, "finished");
    ObjectNode m = o.putObject("metrics");
    m.put("top1Float", 0.92).put("top1BeforeFinetune", top1 - 0.05).put("top1", top1).put("top5", 0.99)
        .put("loss", 0.3).put("testSamples", 10000).put("top1Validation", top1 - 0.01).put("validationSamples", 5000);
    o.putObject("compression").put("paper", 32.0 / avgBits).put("wholeModel", 10.0).put("wholeModelBits", 123456);
    o.put("avgBits", avgBits);
    ObjectNode cost = o.putObject("cost");
    cost.putObject("bitfusion-e").put("latencyMs", 1.5).put("energyMj", 0.25);
    cost.putObject("stripes").put("latencyMs", 2.5);
    return o;
  }

  /** A failed run's document. */
  static ObjectNode failed(String hash, String strategy, String model, String dataset, long seed) {
    ObjectNode o = base(hash, strategy, model, dataset, seed, "failed");
    o.putObject("error").put("phase", "finetune").put("type", "java.lang.IllegalStateException")
        .put("message", "diverged").put("seconds", 12.0);
    return o;
  }

  private static ObjectNode base(String hash, String strategy, String model, String dataset, long seed,
                                 String status) {
    ObjectNode o = Json.files().createObjectNode();
    o.put("formatVersion", 2).put("status", status).put("strategy", strategy);
    ObjectNode config = o.putObject("config").put("budgetScale", 0.5).putObject("experiment"); // as run.json
    config.putObject("model").put("name", model);
    config.putObject("dataset").put("name", dataset);
    config.putObject("strategy").put("name", strategy);
    config.put("seed", seed);
    o.put("configHash", hash).put("seed", seed).put("budgetScale", 0.5);
    ObjectNode p = o.putObject("provenance");
    p.put("projectVersion", "test").put("gitCommit", "abc").put("java", "17").put("os", "linux").put("cpu", "x")
        .put("backend", "cpu").put("cpuIsa", "avx2").put("threads", "2").put("startedAt", "2026-01-01T00:00:00Z");
    p.putObject("dataChecksums");
    return o;
  }

  /** Writes {@code doc} as {@code dir/run.json} and returns the file. */
  static Path write(Path dir, ObjectNode doc) {
    try {
      Files.createDirectories(dir);
      Path f = dir.resolve(Harness.RUN_JSON);
      Files.writeString(f, Json.pretty(doc));
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
