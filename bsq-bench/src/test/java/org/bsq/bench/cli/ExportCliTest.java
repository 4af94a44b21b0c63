package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bsq.bench.cli.BsqCliTest.Result;
import org.bsq.bench.export.OnnxExportTest;
import org.bsq.core.engine.Model;
import org.bsq.core.export.QuantizedNetwork;
import org.bsq.core.export.RawExport;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import org.bsq.core.train.Checkpoint;
import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;
import org.bsq.data.DataSet;
import org.bsq.data.DataSets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bsq export} on a finished BSQ run of ResNet-20 (the miniature recipe {@code export/resnet20-bsq-embedded.yaml}
 * on the embedded data): the ONNX file runs in ONNX Runtime and matches the engine's quantized evaluation of the run's
 * model on a test batch; the raw export reads back into a model that computes the same logits bit for bit; malformed
 * runs and schemes fail with exit 2 and a message naming what is wrong.
 */
@Tag("integration")
class ExportCliTest {
  @TempDir
  static Path shared;
  static Path run;
  static RunRecord record;

  @BeforeAll
  static void finishOneRun() throws Exception {
    run = shared.resolve("bsq-run");
    Path config = Path.of(ExportCliTest.class.getResource("/export/resnet20-bsq-embedded.yaml").toURI());
    Result r = BsqCliTest.run("run", config.toString(), "--out", run.toString());
    assertEquals(0, r.code(), r.err());
    record = Harness.readFinishedRecord(run.resolve(Harness.RUN_JSON));
  }

  /** The run's final model under its scheme, loaded as bsq eval --run does. */
  static Model runModel() {
    Model m = ModelDataOptions.newModel("resnet20", DataSets.info("embedded"), "relu6", 4);
    Harness.installFixedScheme(m, record.scheme().toQuantizationScheme());
    Checkpoint.read(run.resolve(Harness.MODEL_DIR)).restoreParameters(m.parameters());
    return m;
  }

  /** The first test batch of the run (its evaluation batch size). */
  static Batch firstTestBatch() {
    DataSet data = DataSets.load("embedded", null);
    try (BatchIterator it = data.testLoader(64, 128).epoch(0)) {
      Batch b = it.next();
      return new Batch(b.images().clone(), b.labels().clone(), b.size(), b.index());
    }
  }

  /**
   * The acceptance check: ResNet-20 under the BSQ run's scheme (mixed weight bits, 4-bit activations) in ONNX Runtime
   * against the engine's quantized evaluation of the run's model on the first test batch (the run's evaluation batch
   * of 64; the activation quantizers' scale is the batch maximum, so the batch is the same). Tolerances as in
   * {@link OnnxExportTest#resnet20UnderAMixedSchemeRunsInOnnxRuntimeAndMatchesTheEngine} (decision 0016): at least
   * 56 of 64 samples within 1e-4 of the largest logit (63 and 64 measured), top-1 the same on at least 62, none off by
   * more than half the largest logit.
   */
  @Test
  void theOnnxExportOfTheBsqRunMatchesTheEnginesQuantizedLogits() throws Exception {
    Path onnx = shared.resolve("out/resnet20.onnx");
    Result r = BsqCliTest.run("export", run.toString(), "--format", "onnx", "--out", onnx.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = r.lastJson();
    assertEquals(onnx.toString(), j.path("out").asText());
    assertEquals(Files.size(onnx), j.path("bytes").asLong());
    Map<String, Integer> bits = new java.util.TreeMap<>();
    for (RunRecord.Layer l : record.scheme().layers()) {
      bits.put(l.name(), l.weightBits());
      assertEquals(l.weightBits(), j.path("weightBits").path(l.name()).asInt(), l.name());
    }
    assertTrue(bits.values().stream().filter(b -> b < 32).distinct().count() >= 2, "a mixed scheme: " + bits);
    Model m = runModel();
    Batch b = firstTestBatch();
    float[] engine = OnnxExportTest.engineLogits(m, "onednn", b.images(), b.size());
    float[] ort = OnnxExportTest.ortLogits(Files.readAllBytes(onnx), b.images(), b.size(), m.graph().inputShape());
    String summary = OnnxExportTest.summary(ort, engine, b.size());
    System.out.println("bsq run " + bits + ": ort vs engine " + summary);
    double scale = OnnxExportTest.scale(engine);
    assertTrue(OnnxExportTest.maxAbsDiff(engine, ort) <= 0.5 * scale, summary);
    assertTrue(OnnxExportTest.closeSamples(engine, ort, b.size(), 1e-4 * scale) >= 56, summary);
    assertTrue(OnnxExportTest.top1Agreement(engine, ort, b.size()) >= 62, summary);
    try (OrtSession s = OrtEnvironment.getEnvironment().createSession(onnx.toString(), new OrtSession.SessionOptions())) {
      Map<String, String> meta = s.getMetadata().getCustomMetadata();
      assertEquals("bsq", meta.get("bsq.run.strategy"));
      assertEquals(record.configHash(), meta.get("bsq.run.config_hash"));
      JsonNode metaBits = Json.files().readTree(meta.get("bsq.weight_bits"));
      bits.forEach((layer, k) -> assertEquals(k.intValue(), metaBits.path(layer).asInt(), layer));
    }
  }

  @Test
  void theRawExportOfTheRunReadsBackToTheSameLogits() throws Exception {
    Result r = BsqCliTest.run("export", run.toString(), "--format", "raw");
    assertEquals(0, r.code(), r.err());
    Path dir = run.resolve(ExportCommand.DEFAULT_RAW);
    assertTrue(r.out().contains(dir.toString()), r.out());
    Model m = runModel();
    QuantizedNetwork back = RawExport.read(dir, m.graph());
    Model fresh = Model.withZeroParameters(m.graph());
    back.installInto(fresh);
    Batch b = firstTestBatch();
    assertArrayEquals(OnnxExportTest.engineLogits(m, "onednn", b.images(), b.size()),
        OnnxExportTest.engineLogits(fresh, "onednn", b.images(), b.size()));
    JsonNode manifest = Json.readTree(dir.resolve(RawExport.MANIFEST));
    assertEquals("bsq", manifest.path("metadata").path("bsq.run.strategy").asText());
  }

  @Test
  void malformedRunsAndSchemesFailWithAClearError() throws Exception {
    Result none = BsqCliTest.run("export", shared.resolve("nothing").toString(), "--format", "onnx");
    assertEquals(2, none.code());
    assertTrue(none.err().contains("RUN_DIR must be a finished run folder with run.json"), none.err());

    Result format = BsqCliTest.run("export", run.toString(), "--format", "tflite");
    assertEquals(2, format.code());
    assertTrue(format.err().contains("--format must be onnx, raw or dl4j, was 'tflite'"), format.err());

    // a scheme naming a layer the model does not have
    Path unknown = copyWithScheme("unknown-layer", layers -> ((ObjectNode) layers.get(3)).put("name", "layer4.0.conv1"));
    Result u = BsqCliTest.run("export", unknown.toString(), "--format", "onnx");
    assertEquals(2, u.code(), u.err());
    assertTrue(u.err().contains("scheme layer 'layer4.0.conv1' must be a layer of model 'resnet20'"), u.err());

    // weight bits out of range
    Path wide = copyWithScheme("bits-17", layers -> ((ObjectNode) layers.get(1)).put("weightBits", 17));
    Result w = BsqCliTest.run("export", wide.toString(), "--format", "raw");
    assertEquals(2, w.code(), w.err());
    assertTrue(w.err().contains("weight bits for layer 'layer1.0.conv1' must be in [0, 16]"), w.err());

    // int8 storage required for a layer at 8 bits
    Path eight = copyWithScheme("eight", layers -> ((ObjectNode) layers.get(0)).put("weightBits", 8));
    Result e = BsqCliTest.run("export", eight.toString(), "--format", "onnx", "--int8-weights");
    assertEquals(2, e.code(), e.err());
    assertTrue(e.err().contains("int8 weights hold at most 7 bits") && e.err().contains("'conv1' (8 bits"), e.err());
    Result e32 = BsqCliTest.run("export", eight.toString(), "--format", "onnx", "--json");
    assertEquals(0, e32.code(), e32.err());
    assertTrue(Files.isRegularFile(eight.resolve(ExportCommand.DEFAULT_ONNX)));
    assertTrue(!Files.exists(eight.resolve("export/model.onnx.tmp")));
  }

  /** A copy of the finished run whose run.json scheme layers are edited by {@code edit}. */
  static Path copyWithScheme(String name, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ArrayNode> edit)
      throws Exception {
    Path dir = shared.resolve(name);
    try (var walk = Files.walk(run)) {
      for (Path p : walk.toList()) {
        Path target = dir.resolve(run.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!p.getFileName().toString().equals(".lock") && !p.startsWith(run.resolve("export"))) {
          Files.copy(p, target);
        }
      }
    }
    ObjectNode tree = (ObjectNode) Json.readTree(dir.resolve(Harness.RUN_JSON));
    edit.accept((com.fasterxml.jackson.databind.node.ArrayNode) tree.path("scheme").path("layers"));
    Json.writeFile(dir.resolve(Harness.RUN_JSON), tree);
    return dir;
  }
}
