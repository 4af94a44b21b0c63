package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user drives it: exit codes, messages, JSON output, run folders. */
class BsqCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Result(int code, String out, String err) {
    JsonNode lastJson() throws Exception {
      List<String> lines = out.lines().toList();
      return JSON.readTree(lines.get(lines.size() - 1));
    }
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BsqCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void usageErrorsExitTwoWithOneLineReason() {
    Result r = run("eval", "--model", "resnet18", "--dataset", "cifar10", "--weights", "/tmp");
    assertEquals(2, r.code());
    assertEquals("bsq: unknown model 'resnet18'; known: [resnet20, resnet32, resnet44, resnet56, small-cnn]",
        r.err().lines().findFirst().orElseThrow());
    r = run("train", "--model", "small-cnn", "--dataset", "imagenet");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("[cifar10, embedded, fashion-mnist, fashion-mnist-embedded, mnist]"), r.err());
    r = run("train", "--model", "resnet20", "--dataset", "cifar10");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("needs --data-dir"), r.err());
    r = run("train", "--dataset", "embedded");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("bsq: Missing required option: '--model=M'"), r.err());
    r = run("eval", "--model", "small-cnn", "--dataset", "embedded", "--weights", "/tmp", "--activation", "relu",
        "--act-bits", "4");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("use activation relu6"), r.err());
    assertEquals(2, run("bench", "inference").code());
    assertEquals(2, run("list", "strategies-and-more").code());
    assertEquals(2, run("--no-such-option").code());
  }

  @Test
  void listAndVersion() {
    Result r = run("list");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("resnet20") && r.out().contains("embedded") && r.out().contains("onednn"), r.out());
    r = run("--version");
    assertEquals(0, r.code());
    assertTrue(r.out().startsWith("bsq-java "), r.out());
  }

  @Test
  @Tag("integration")
  void trainResumeAndEvalOnTheEmbeddedData(@TempDir Path tmp) throws Exception {
    Path full = tmp.resolve("full");
    Path split = tmp.resolve("split");
    String[] common = {"--model", "small-cnn", "--dataset", "embedded", "--limit-train", "512", "--limit-test", "200",
        "--batch-size", "64", "--seed", "5", "--lr", "0.05", "--schedule", "cosine"};
    Result a = run(concat(new String[] {"train", "--epochs", "2", "--out", full.toString(), "--json"}, common));
    assertEquals(0, a.code(), a.err());
    JsonNode summary = a.lastJson();
    assertEquals(200, summary.get("samples").asInt());
    assertTrue(Files.isRegularFile(full.resolve("weights/manifest.json")));
    assertTrue(Files.isRegularFile(full.resolve("history.json")));

    // The same run interrupted after epoch 1 and resumed ends with bitwise the same weights and accuracy.
    Result b = run(concat(new String[] {"train", "--epochs", "2", "--stop-after", "1", "--out", split.toString()},
        common));
    assertEquals(0, b.code(), b.err());
    assertTrue(b.out().contains("--resume " + split), b.out());
    Result resumed = run(concat(new String[] {"train", "--epochs", "2", "--resume", split.toString(), "--json"}, common));
    assertEquals(0, resumed.code(), resumed.err());
    assertEquals(summary.get("top1").asDouble(), resumed.lastJson().get("top1").asDouble(), 0.0);
    assertEquals(md5s(full), md5s(split), "bitwise equal weights");

    Result eval = run("eval", "--model", "small-cnn", "--dataset", "embedded", "--weights",
        full.resolve("weights").toString(), "--limit", "200", "--batch-size", "64", "--json");
    assertEquals(0, eval.code(), eval.err());
    JsonNode e = eval.lastJson();
    assertEquals(summary.get("top1").asDouble(), e.get("top1").asDouble(), 1e-9, "eval reproduces the training's test top-1");
    for (String key : new String[] {"top1", "top5", "loss", "samples", "seconds"}) {
      assertTrue(e.has(key), key);
    }
  }

  @Test
  @Tag("integration")
  void evalOfThePretrainedResNet20PrintsJson() throws Exception {
    String shared = System.getProperty("bsq.shared.dir");
    assumeTrue(shared != null && Files.isDirectory(Path.of(shared, "data/pretrained/resnet20-cifar10-fp32")),
        "skipped: ../shared/data is absent");
    Result r = run("eval", "--model", "resnet20", "--dataset", "cifar10", "--data-dir",
        Path.of(shared, "data/cifar-10-jpeg-q75-batches-bin").toString(), "--weights",
        Path.of(shared, "data/pretrained/resnet20-cifar10-fp32").toString(), "--limit", "500", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = r.lastJson();
    assertEquals(500, j.get("samples").asInt());
    assertTrue(j.get("top1").asDouble() > 0.6, "top-1 " + j.get("top1"));
  }

  /** Post-training quantization of the pretrained ResNet-20: uniform bits and a scheme file give the same numbers. */
  @Test
  @Tag("integration")
  void evalQuantizesFloatWeightsAfterTraining(@TempDir Path tmp) throws Exception {
    String shared = System.getProperty("bsq.shared.dir");
    assumeTrue(shared != null && Files.isDirectory(Path.of(shared, "data/pretrained/resnet20-cifar10-fp32")),
        "skipped: ../shared/data is absent");
    String[] base = {"eval", "--model", "resnet20", "--dataset", "cifar10", "--data-dir",
        Path.of(shared, "data/cifar-10-jpeg-q75-batches-bin").toString(), "--weights",
        Path.of(shared, "data/pretrained/resnet20-cifar10-fp32").toString(), "--limit", "512", "--json"};
    double fp = run(base).lastJson().get("top1").asDouble();
    Result w8 = run(concat(base, new String[] {"--weight-bits", "8"}));
    assertEquals(0, w8.code(), w8.err());
    JsonNode j8 = w8.lastJson();
    assertEquals(8.0, j8.get("avgBits").asDouble(), 1e-12);
    assertTrue(Math.abs(j8.get("top1").asDouble() - fp) <= 0.01, "8-bit weights cost at most a point: " + j8 + " vs "
        + fp);
    double w2 = run(concat(base, new String[] {"--weight-bits", "2"})).lastJson().get("top1").asDouble();
    assertTrue(w2 < fp - 0.2, "2-bit weights without finetuning lose most of the accuracy: " + w2 + " vs " + fp);

    // the same 8 bits written as a scheme file (projection shortcuts at 32 bits, as uniform leaves them)
    StringBuilder layers = new StringBuilder("{\"layers\": [");
    org.bsq.core.graph.LayerInventory inv = org.bsq.models.Models.inventory("resnet20",
        org.bsq.models.ModelOptions.cifar10());
    for (org.bsq.core.graph.LayerInfo l : inv) {
      layers.append(l.index() == 0 ? "" : ", ").append("{\"name\": \"").append(l.name())
          .append("\", \"weightBits\": ").append(l.projectionShortcut() ? 32 : 8).append("}");
    }
    Path scheme = Files.writeString(tmp.resolve("scheme.json"), layers.append("]}").toString());
    JsonNode fromFile = run(concat(base, new String[] {"--scheme", scheme.toString()})).lastJson();
    assertEquals(j8.get("top1").asDouble(), fromFile.get("top1").asDouble(), 0.0);
    assertEquals(j8.get("loss").asDouble(), fromFile.get("loss").asDouble(), 0.0);

    Files.writeString(scheme, "{\"layers\": [{\"name\": \"conv1\", \"weightBits\": 4}]}");
    Result partial = run(concat(base, new String[] {"--scheme", scheme.toString()}));
    assertEquals(2, partial.code());
    assertTrue(partial.err().contains("layer1.0.conv1"), "names a layer the scheme lacks: " + partial.err());
    Result both = run(concat(base, new String[] {"--scheme", scheme.toString(), "--weight-bits", "4"}));
    assertEquals(2, both.code());
  }

  /**
   * The main job, end to end (issue 3's acceptance): the float small CNN, then BSQ from it through the harness. BSQ
   * must take the average precision well below 8 bits while the finetuned accuracy stays within a few points of the
   * float model, and its run.json must read back to the same record.
   */
  @Test
  @Tag("integration")
  void demoTrainsTheFloatModelThenBsqCompressesItAtTheSameAccuracy(@TempDir Path tmp) throws Exception {
    Result r = run("demo", "--out", tmp.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = r.lastJson();
    assertEquals("small-cnn", j.get("model").asText());
    assertEquals(1000, j.get("samples").asInt());
    double floatTop1 = j.get("top1").asDouble();
    assertTrue(floatTop1 > 0.75, "10 float epochs reach the usual Fashion-MNIST range: " + floatTop1);
    assertTrue(j.get("bsqAvgBits").asDouble() < 5.0, "BSQ leaves well below 8 bits: " + j.get("bsqAvgBits"));
    assertTrue(Math.abs(j.get("bsqTop1").asDouble() - floatTop1) < 0.03,
        "BSQ after finetuning within 3 points of float: " + j.get("bsqTop1") + " vs " + floatTop1);
    assertTrue(r.out().contains("Summary: float"), r.out());

    org.bsq.core.harness.RunRecord record = org.bsq.core.harness.Harness.readRecord(tmp.resolve("bsq/run.json"));
    assertEquals("bsq", record.strategy());
    assertEquals(j.get("bsqAvgBits").asDouble(), record.avgBits(), 1e-12);
    Path copy = tmp.resolve("copy.json");
    new ObjectMapper().writeValue(copy.toFile(), record);
    assertEquals(JSON.readTree(tmp.resolve("bsq/run.json").toFile()), JSON.readTree(copy.toFile()),
        "run.json round-trips through RunRecord");
    assertTrue(record.details().containsKey("layerStatistics"), record.details().keySet().toString());

    // the comparison: every strategy ran from the float model, the searches at BSQ's size; table and report written
    JsonNode runs = j.get("comparison");
    assertEquals(List.of("bsq", "uniform", "hawq", "random", "haq"),
        java.util.stream.StreamSupport.stream(runs.spliterator(), false).map(x -> x.get("id").asText()).toList());
    for (JsonNode x : runs) {
      assertEquals("done", x.get("state").asText(), x.toString());
      if (!x.get("id").asText().equals("uniform") && !x.get("id").asText().equals("bsq")) {
        assertTrue(x.get("avgBits").asDouble() <= record.avgBits() + 1e-9, "within BSQ's size: " + x);
      }
    }
    assertTrue(Files.isRegularFile(Path.of(j.get("report").asText())));
    String table = Files.readString(tmp.resolve("comparison.md"));
    assertTrue(table.contains("| haq | haq |") && table.contains("bitfusion-e latency (ms)"), table);
    assertTrue(r.out().contains("report: " + tmp.resolve("report/report.html").toAbsolutePath()), r.out());
  }

  @Test
  void runConfigsRejectEveryProblemAtOnce(@TempDir Path tmp) throws Exception {
    Path cfg = tmp.resolve("bad.yaml");
    Files.writeString(cfg, "model: {name: resnet99, colour: red}\nseed: x\nstrategy: {name: uniform}\n");
    Result r = run("run", cfg.toString(), "--set", "dataset.batchSize=1", "--out", tmp.resolve("out").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("model.colour: unknown key"), r.err());
    assertTrue(r.err().contains("seed: must be an integer, was 'x'"), r.err());
    Result unknown = run("run", Path.of("..", "configs", "embedded-uniform4.yaml").toString(), "--set",
        "strategy.name=magic", "--out", tmp.resolve("o2").toString());
    assertEquals(2, unknown.code(), unknown.err());
    assertTrue(unknown.err().contains("unknown strategy 'magic'; known: [bsq, haq, hawq, random, scheme, uniform]"), unknown.err());
  }

  @Test
  @Tag("integration")
  void runWritesARunRecordThroughTheHarness(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("u4");
    Result r = run("run", Path.of("..", "configs", "embedded-uniform4.yaml").toString(), "--budget-scale", "0.25",
        "--set", "dataset.limitTrain=768", "--set", "dataset.limitTest=256", "--out", out.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode summary = r.lastJson();
    assertEquals(4.0, summary.get("avgBits").asDouble(), 1e-12);
    JsonNode run = JSON.readTree(out.resolve("run.json").toFile());
    assertEquals("uniform", run.get("strategy").asText());
    assertEquals(0.25, run.get("budgetScale").asDouble());
    assertEquals(2, run.get("trajectory").get("finetune").size(), "8 finetuning epochs x 0.25");
    assertEquals(5, run.get("scheme").get("layers").size());
    assertEquals(8.0, run.get("compression").get("paper").asDouble(), 1e-9);
    assertTrue(run.get("cost").has("bitfusion-e") && run.get("cost").has("stripes"), run.get("cost").toString());
    assertTrue(run.get("provenance").get("dataChecksums").get("embedded/train").asText().startsWith("sha256:"));
    assertEquals(256, run.get("metrics").get("testSamples").asInt());
    assertTrue(run.get("configHash").asText().startsWith("sha256:"));
    assertEquals(0, run(concat(new String[] {"run", "--resume", out.toString(), "--json"}, new String[0])).code(),
        "resuming a finished run only re-evaluates");

    // The simulator prices the run's scheme exactly as the harness did.
    Result sim = run("simulate", "--accelerator", "stripes", "--run", out.resolve("run.json").toString(), "--json");
    assertEquals(0, sim.code(), sim.err());
    JsonNode report = sim.lastJson();
    assertEquals(run.get("cost").get("stripes").get("latencyMsPerImage").asDouble(),
        report.get("latencyMs").asDouble() / report.get("batch").asInt(), 1e-12);
  }

  @Test
  void simulateAndListAccelerators() throws Exception {
    Result list = run("list", "accelerators");
    assertEquals(0, list.code());
    for (String preset : new String[] {"bitfusion-e", "int8", "stripes", "unpu", "loom", "bismo", "pragmatic"}) {
      assertTrue(list.out().contains(preset), preset);
    }
    Result r8 = run("simulate", "--accelerator", "stripes", "--model", "resnet20", "--bits", "8/8", "--json");
    Result r4 = run("simulate", "--accelerator", "stripes", "--model", "resnet20", "--bits", "4/4", "--json");
    assertEquals(0, r8.code(), r8.err());
    double l8 = r8.lastJson().get("latencyMs").asDouble();
    double l4 = r4.lastJson().get("latencyMs").asDouble();
    assertTrue(l4 < l8 * 0.6, "activation-serial Stripes is about 2x faster at 4 bits: " + l8 + " vs " + l4);
    Result bad = run("simulate", "--accelerator", "tpu", "--model", "resnet20", "--bits", "8/8");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("known: [bitfusion-e, int8, stripes, unpu, loom, bismo, pragmatic]"), bad.err());
    assertEquals(2, run("simulate", "--accelerator", "stripes", "--model", "resnet20", "--bits", "four").code());
  }

  private static String md5s(Path run) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (String line : Files.readAllLines(run.resolve("weights/manifest.json"))) {
      if (line.contains("\"md5\"")) {
        sb.append(line.trim());
      }
    }
    return sb.toString();
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
