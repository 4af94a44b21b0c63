package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The baselines through the command line on the embedded data: uniform PTQ with MSE clipping, random search. */
@Tag("integration")
class BaselineStrategiesCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String[] SMALL = {"--set", "dataset.limitTrain=256", "--set", "dataset.limitTest=128"};

  @Test
  void uniformPtqWithMseClippingSkipsFinetuning(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("ptq");
    BsqCliTest.Result r = BsqCliTest.run("run", Path.of("..", "configs", "embedded-uniform4.yaml").toString(),
        "--budget-scale", "0.25", "--set", "strategy.params.mode=ptq", "--set", "strategy.params.calibration=mse",
        SMALL[0], SMALL[1], SMALL[2], SMALL[3], "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode run = JSON.readTree(Files.readString(out.resolve("run.json")));
    assertEquals("none", run.at("/trajectory/finetuneEvaluatedOn").asText());
    assertEquals(0, run.at("/trajectory/finetune").size());
    assertEquals(run.at("/metrics/top1BeforeFinetune").asDouble(), run.at("/metrics/top1").asDouble(), 0.0);
    assertTrue(run.at("/details/clipFraction").size() > 0, run.at("/details").toString());
  }

  @Test
  void randomSearchEvaluatesItsCandidatesWithinTheBudget(@TempDir Path tmp) throws Exception {
    Path cfg = Files.writeString(tmp.resolve("random.yaml"), """
        model: {name: small-cnn, activation: relu, actBits: 0}
        dataset: {name: embedded, batchSize: 64, limitTrain: 256, limitTest: 128, validation: {size: 64, seed: 3}}
        strategy:
          name: random
          budget: {evaluations: 3}
          params:
            budget: {ratio: 0.5}
            candidates: {samples: 32}
        finetune: {epochs: 1, learningRate: 0.02}
        seed: 7
        """);
    Path out = tmp.resolve("random");
    BsqCliTest.Result r = BsqCliTest.run("run", cfg.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode run = JSON.readTree(Files.readString(out.resolve("run.json")));
    assertEquals(3, run.at("/trajectory/search").size(), run.at("/trajectory").toString());
    for (JsonNode step : run.at("/trajectory/search")) {
      assertTrue(step.get("cost").asDouble() <= 4.0 + 1e-9, step.toString());
    }
    assertTrue(run.at("/avgBits").asDouble() <= 4.0 + 1e-9, run.toString());
    assertEquals(1, run.at("/trajectory/finetune").size());
    assertEquals(3, run.at("/budget/evaluations").asInt());
    assertEquals(3, run.at("/budget/evaluationsUsed").asInt());

    Path tight = Files.writeString(tmp.resolve("tight.yaml"), Files.readString(cfg)
        .replace("budget: {ratio: 0.5}", "budget: {value: 1.5}"));
    BsqCliTest.Result bad = BsqCliTest.run("run", tight.toString(), "--out", tmp.resolve("tight").toString());
    // the command line runs the strategy's check before the run: a usage error, nothing trained or evaluated
    assertEquals(2, bad.code(), bad.out() + bad.err());
    assertTrue(bad.err().contains("minimum reachable size (bits) is 2 bits"), bad.err());
    assertTrue(!Files.exists(tmp.resolve("tight")), "nothing written, not even the folder");
  }

  @Test
  void theStrategyListGivesASummaryAndThePaperOfEach() {
    BsqCliTest.Result r = BsqCliTest.run("list", "strategies");
    assertEquals(0, r.code(), r.err());
    for (String name : new String[] {"bsq", "haq", "hawq", "random", "scheme", "uniform"}) {
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  " + name + " ") && !l.contains("(no summary)")),
          name + " has a one-line summary: " + r.out());
    }
    assertTrue(r.out().contains("paper: Yang et al., \"BSQ"), r.out());
    assertTrue(r.out().contains("paper: Wang, Liu, Lin, Lin, Han: HAQ"), r.out());
    assertTrue(r.out().contains("paper: Dong et al., \"HAWQ"), r.out());
  }
}
