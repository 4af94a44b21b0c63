package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hardware-aware BSQ (decision 0015) through the command line on the embedded data: the option is checked before
 * anything runs, and (the acceptance test) latency-weighted BSQ on the weight-serial {@code unpu} preset
 * reaches a lower simulated latency than the paper's memory-weighted BSQ at matched average bits, seeded.
 */
class HardwareAwareBsqCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** BSQ from {@code weights}: 6 epochs over the 6,000 training images, re-quantized every 2, no finetuning. */
  private static Path config(Path dir, Path weights) throws Exception {
    return Files.writeString(dir.resolve("bsq.yaml"), """
        model: {name: small-cnn, weights: %s, activation: relu, actBits: 0}
        dataset: {name: embedded, batchSize: 128, limitTest: 200}
        strategy:
          name: bsq
          budget: {epochs: 6}
          params: {alpha: 1.0, recipeEpochs: 6, learningRate: 0.02, lrMilestones: [5], requantizeInterval: 2,
                   activationBits: 0}
        finetune: {epochs: 0}
        accelerators: [unpu]
        seed: 42
        """.formatted(quoted(weights)));
  }

  private static String quoted(Path p) throws Exception {
    return JSON.writeValueAsString(p.toAbsolutePath().toString());
  }

  @Test
  void anAcceleratorOutsideTheRunIsAUsageErrorBeforeAnythingIsWritten(@TempDir Path tmp) throws Exception {
    Path cfg = config(tmp, tmp.resolve("no-weights-needed"));
    Path out = tmp.resolve("out");
    BsqCliTest.Result r = BsqCliTest.run("run", cfg.toString(), "--set", "model.weights=null",
        "--set", "strategy.params.regularizerWeighting=latency", "--set",
        "strategy.params.weightingAccelerator=bitfusion-e", "--out", out.toString());
    assertEquals(2, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("weightingAccelerator: cost model must be one of the run's [size, unpu]"), r.err());
    assertFalse(Files.exists(out), "nothing written");
    BsqCliTest.Result missing = BsqCliTest.run("run", cfg.toString(), "--set", "model.weights=null",
        "--set", "strategy.params.regularizerWeighting=energy", "--out", out.toString());
    assertEquals(2, missing.code(), missing.out() + missing.err());
    assertTrue(missing.err().contains("weightingAccelerator: must name an accelerator preset"), missing.err());
  }

  @Test
  @Tag("integration")
  void latencyWeightedBsqIsFasterOnTheChosenPresetAtMatchedAverageBits(@TempDir Path tmp) throws Exception {
    Path floatDir = tmp.resolve("float");
    BsqCliTest.Result trained = BsqCliTest.run("train", "--model", "small-cnn", "--dataset", "embedded", "--epochs",
        "3", "--lr", "0.1", "--schedule", "cosine", "--nesterov", "--weight-decay", "5e-4", "--seed", "42",
        "--limit-test", "200", "--out", floatDir.toString());
    assertEquals(0, trained.code(), trained.err());
    Path cfg = config(tmp, floatDir.resolve("weights"));
    JsonNode memory = run(cfg, tmp.resolve("memory"));
    JsonNode latency = run(cfg, tmp.resolve("latency"), "--set", "strategy.params.regularizerWeighting=latency",
        "--set", "strategy.params.weightingAccelerator=unpu");

    // the option and its preset are in the run's configuration; memory (the default) leaves it as it was
    JsonNode params = latency.at("/config/experiment/strategy/params");
    assertEquals("latency", params.get("regularizerWeighting").asText());
    assertEquals("unpu", params.get("weightingAccelerator").asText());
    assertFalse(memory.at("/config/experiment/strategy/params").has("regularizerWeighting"));
    assertEquals("latency on unpu (ms)", latency.at("/details/regularizerWeighting/prices").asText());
    assertEquals("memory", memory.at("/details/regularizerWeighting/mode").asText());

    double memBits = memory.get("avgBits").asDouble();
    double latBits = latency.get("avgBits").asDouble();
    double memMs = memory.at("/cost/unpu/latencyMsPerImage").asDouble();
    double latMs = latency.at("/cost/unpu/latencyMsPerImage").asDouble();
    String numbers = String.format(Locale.ROOT, "memory-weighted: %.4f bits (%s), %.7f ms on unpu; latency-weighted: "
        + "%.4f bits (%s), %.7f ms (%.1f %% lower)", memBits, bits(memory), memMs, latBits, bits(latency), latMs,
        100 * (1 - latMs / memMs));
    System.out.println("hardware-aware BSQ acceptance: " + numbers);
    // matched: within the size of one bit of conv3 (0.30 average bits), the granularity of these schemes
    assertTrue(Math.abs(latBits - memBits) <= 0.2, numbers);
    assertTrue(latMs < memMs, numbers);
    // the mechanism: conv2 (8 % of the weights, a quarter of the MACs) loses more bits under latency weighting
    assertTrue(layerBits(latency, "conv2") < layerBits(memory, "conv2"), numbers);
  }

  private static JsonNode run(Path cfg, Path out, String... extra) throws Exception {
    String[] args = new String[4 + extra.length];
    args[0] = "run";
    args[1] = cfg.toString();
    System.arraycopy(extra, 0, args, 2, extra.length);
    args[2 + extra.length] = "--out";
    args[3 + extra.length] = out.toString();
    BsqCliTest.Result r = BsqCliTest.run(args);
    assertEquals(0, r.code(), r.err());
    return JSON.readTree(Files.readString(out.resolve("run.json")));
  }

  private static int layerBits(JsonNode run, String layer) {
    for (JsonNode l : run.at("/scheme/layers")) {
      if (l.get("name").asText().equals(layer)) {
        return l.get("weightBits").asInt();
      }
    }
    throw new AssertionError("no layer " + layer + " in " + run.at("/scheme"));
  }

  private static String bits(JsonNode run) {
    StringBuilder b = new StringBuilder();
    for (JsonNode l : run.at("/scheme/layers")) {
      b.append(b.length() == 0 ? "" : " ").append(l.get("weightBits").asInt());
    }
    return b.toString();
  }
}
