package org.bsq.bench.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;

/** Small but complete run records, built as run.json documents and read back as the harness reads them. */
public final class ReportFixtures {
  static final List<String> LAYERS = List.of("conv1", "conv2", "fc");
  static final List<String> PRESETS = List.of("bitfusion-e", "stripes");

  private ReportFixtures() {}

  /**
   * A finished run: {@code bits} per layer of a 3-layer model, top-1 {@code top1}, costs growing with the average
   * bits; BSQ runs carry per-plane statistics and per-epoch average bits.
   */
  public static ObjectNode finished(String strategy, long seed, double top1, int[] bits, String variant) {
    ObjectNode o = base(strategy, seed, variant, "finished");
    ArrayNode layers = o.putObject("scheme").putArray("layers");
    long[] params = {100, 400, 500};
    double tb = 0;
    for (int i = 0; i < LAYERS.size(); i++) {
      layers.addObject().put("name", LAYERS.get(i)).put("weightBits", bits[i]).put("activationBits", 8)
          .put("params", params[i]).put("counted", true);
      tb += bits[i] * params[i];
    }
    layers.addObject().put("name", "shortcut").put("weightBits", 32).put("activationBits", 8).put("params", 10)
        .put("counted", false);
    double avg = tb / 1000.0;
    o.putObject("metrics").put("top1Float", 0.92).put("top1BeforeFinetune", top1 - 0.1).put("top1", top1)
        .put("top5", 0.99).put("loss", 0.3).put("testSamples", 1000).putNull("top1Validation")
        .put("validationSamples", 0);
    o.putObject("compression").put("paper", 32.0 / avg).put("wholeModel", 30.0 / avg).put("wholeModelBits", 1234);
    o.put("avgBits", avg);
    ObjectNode cost = o.putObject("cost");
    cost.putObject("size").put("averageBits", avg).put("compressionPaper", 32.0 / avg);
    for (int p = 0; p < PRESETS.size(); p++) {
      cost.putObject(PRESETS.get(p)).put("latencyMsPerImage", 0.01 * avg * (p + 1))
          .put("energyMjPerImage", 0.02 * avg / (p + 1)).put("computeCycles", 100.0);
    }
    ObjectNode t = o.putObject("trajectory");
    ArrayNode s = t.putArray("strategy");
    ArrayNode f = t.putArray("finetune");
    int strategyEpochs = strategy.equals("bsq") ? 3 : 0;
    for (int e = 0; e < strategyEpochs; e++) {
      epoch(s.addObject(), e, 1.0 - 0.1 * e, 1.0 - 0.1 * e + 0.5 / (e + 1), e == 2 ? top1 - 0.05 : Double.NaN);
    }
    for (int e = 0; e < 2; e++) {
      epoch(f.addObject(), e, 0.5 - 0.1 * e, 0.5 - 0.1 * e, top1 - 0.02 + 0.02 * e);
    }
    t.put("finetuneEvaluatedOn", "test");
    t.putArray("search");
    ObjectNode d = o.putObject("details");
    if (strategy.equals("bsq")) {
      ArrayNode ls = d.putArray("layers");
      for (int i = 0; i < LAYERS.size(); i++) {
        ObjectNode l = ls.addObject().put("layer", LAYERS.get(i)).put("bits", bits[i]);
        ArrayNode nz = l.putArray("weightNonZeroPercent");
        for (int b = 0; b < bits[i]; b++) {
          nz.add(10.0 + 80.0 * b / Math.max(1, bits[i] - 1)); // MSB sparsest
        }
        l.put("biasBits", 0).putArray("biasNonZeroPercent");
      }
      d.putArray("averageBitsPerEpoch").add(8.0).add(6.0).add(avg);
    }
    return o;
  }

  /** A failed run's document. */
  public static ObjectNode failed(String strategy, long seed) {
    ObjectNode o = base(strategy, seed, "x", "failed");
    o.putObject("error").put("phase", "finetune").put("type", "java.lang.IllegalStateException")
        .put("message", "diverged <badly>").put("seconds", 12.0);
    return o;
  }

  private static void epoch(ObjectNode e, int epoch, double loss, double objective, double top1) {
    e.put("epoch", epoch).put("learningRate", 0.1).put("trainLoss", loss).put("trainObjective", objective)
        .put("trainTop1", 0.8).put("trainSamples", 100);
    if (Double.isNaN(top1)) {
      e.putNull("evaluation");
    } else {
      e.putObject("evaluation").put("samples", 1000).put("topK", 5).put("top1Correct", Math.round(top1 * 1000))
          .put("topKCorrect", 990).put("loss", 0.4).put("seconds", 0.1);
    }
    e.put("trainSeconds", 1.0).put("seconds", 1.1);
  }

  private static ObjectNode base(String strategy, long seed, String variant, String status) {
    ObjectNode o = Json.files().createObjectNode();
    o.put("formatVersion", 2).put("status", status).put("strategy", strategy);
    ObjectNode config = o.putObject("config");
    config.put("budgetScale", 1.0);
    ObjectNode x = config.putObject("experiment");
    x.putObject("model").put("name", "tiny-cnn");
    x.putObject("dataset").put("name", "embedded");
    x.putObject("strategy").put("name", strategy).putObject("params").put("variant", variant);
    x.put("seed", seed);
    o.put("configHash", Harness.hash(config)).put("seed", seed).put("budgetScale", 1.0);
    ObjectNode p = o.putObject("provenance");
    p.put("projectVersion", "test").put("gitCommit", "abc").put("java", "17").put("os", "linux").put("cpu", "x")
        .put("backend", "cpu").put("cpuIsa", "avx2").put("threads", "2").put("startedAt", "2026-01-01T00:00:00Z");
    p.putObject("dataChecksums");
    return o;
  }

  static RunRecord record(ObjectNode doc) {
    try {
      return Json.files().treeToValue(doc, RunRecord.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static ReportRun run(String label, ObjectNode doc) {
    return new ReportRun(label, null, record(doc));
  }

  /**
   * Three strategies over several seeds: bsq (3 seeds, ~0.90 top-1), uniform at 4 and at 2 bits (3 seeds each, ~0.85
   * and ~0.70), random (1 seed), and a failed haq run.
   */
  static List<ReportRun> standard() {
    java.util.ArrayList<ReportRun> runs = new java.util.ArrayList<>();
    double[] jitter = {0.0, 0.004, -0.003};
    for (int s = 0; s < 3; s++) {
      runs.add(run("bsq-s" + s, finished("bsq", s, 0.90 + jitter[s], new int[] {6, 3, 4}, "a")));
      runs.add(run("uniform4-s" + s, finished("uniform", s, 0.85 - jitter[s], new int[] {4, 4, 4}, "w4")));
      runs.add(run("uniform2-s" + s, finished("uniform", s, 0.70 + jitter[s], new int[] {2, 2, 2}, "w2")));
    }
    runs.add(run("random-s0", finished("random", 0, 0.80, new int[] {5, 3, 6}, "r")));
    runs.add(run("haq-failed", failed("haq", 0)));
    return List.copyOf(runs);
  }

  /** Writes the document as {@code dir/run.json}. */
  public static Path write(Path dir, ObjectNode doc) throws java.io.IOException {
    java.nio.file.Files.createDirectories(dir);
    Path f = dir.resolve(Harness.RUN_JSON);
    java.nio.file.Files.writeString(f, Json.pretty(doc));
    return f;
  }
}
