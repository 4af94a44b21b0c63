package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.bsq.bench.cli.BsqCliTest.Result;
import org.bsq.core.engine.Model;
import org.bsq.core.param.Parameter;
import org.bsq.data.DataSets;
import org.bsq.models.PretrainedWeights;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bsq import}, {@code bsq export} and {@code --weights FILE.pth} as a user drives them. */
class ImportExportCliTest {
  /** The PyTorch fixtures of bsq-models (made by their make_fixtures.py); tests run in the module folder. */
  static Path torchFixture(String name) {
    Path p = Path.of("..", "bsq-models", "src", "test", "resources", "fixtures", "torch", name);
    assertTrue(Files.isRegularFile(p), "test fixture missing: " + p.toAbsolutePath());
    return p;
  }

  static Result run(String... args) {
    return BsqCliTest.run(args);
  }

  static Map<String, float[]> values(Path weights, String model) {
    Model m = ModelDataOptions.newModel(model, DataSets.info("embedded"), "relu", 0);
    PretrainedWeights.load(weights, m.parameters(), true);
    Map<String, float[]> out = new HashMap<>();
    for (Parameter p : m.parameters().all()) {
      out.put(p.name(), p.value().clone());
    }
    return out;
  }

  @Test
  void importsAPyTorchCheckpointThatEvalAlsoReadsDirectly(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("w");
    Result r = run("import", torchFixture("small-cnn-legacy.pth").toString(), "--out", out.toString(), "--model",
        "small-cnn", "--dataset", "embedded", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = r.lastJson();
    assertEquals("pytorch-legacy", j.get("format").asText());
    assertEquals(22, j.get("tensors").asInt());
    assertEquals(7, j.get("checkpointMetadata").get("epoch").asInt());
    JsonNode manifest = PretrainedWeights.readManifest(out);
    assertEquals("pytorch-legacy", manifest.path("metadata").path("source_format").asText());
    assertEquals(values(torchFixture("small-cnn-zip.pth"), "small-cnn").keySet(), values(out, "small-cnn").keySet());
    values(out, "small-cnn").forEach((k, v) ->
        assertArrayEquals(values(torchFixture("small-cnn-zip.pth"), "small-cnn").get(k), v, k));

    String[] eval = {"eval", "--model", "small-cnn", "--dataset", "embedded", "--limit", "100", "--backend",
        "reference", "--json", "--weights"};
    Result fromFolder = run(concat(eval, out.toString()));
    Result fromFile = run(concat(eval, torchFixture("small-cnn-zip.pth").toString()));
    assertEquals(0, fromFolder.code(), fromFolder.err());
    assertEquals(0, fromFile.code(), fromFile.err());
    assertEquals(fromFolder.lastJson().get("loss").asDouble(), fromFile.lastJson().get("loss").asDouble(), 0.0);
  }

  @Test
  void refusesUnknownGlobalsNonEmptyFoldersAndWrongModelsWritingNothing(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("w");
    Result r = run("import", torchFixture("evil-zip.pth").toString(), "--out", out.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("references global 'posix.system', which is not allowed"), r.err());
    assertFalse(Files.exists(out));

    r = run("import", torchFixture("small-cnn-zip.pth").toString(), "--out", out.toString(), "--model", "resnet20");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("no parameter in the model"), r.err());
    assertFalse(Files.exists(out));

    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "mine");
    r = run("import", torchFixture("small-cnn-zip.pth").toString(), "--out", out.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("must be a new or empty folder"), r.err());

    r = run("import", torchFixture("make_fixtures.py").toString(), "--out", tmp.resolve("x").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("must be a PyTorch checkpoint"), r.err());
  }

  @Test
  void exportsToDl4jAndImportsBackAsTheSameModel(@TempDir Path tmp) throws Exception {
    Path zip = tmp.resolve("small-cnn.zip");
    Result r = run("export", "--format", "dl4j", "--model", "small-cnn", "--dataset", "embedded", "--weights",
        torchFixture("small-cnn-zip.pth").toString(), "--out", zip.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.isRegularFile(zip));
    assertEquals(2, run("export", "--format", "dl4j", "--model", "small-cnn", "--dataset", "embedded", "--weights",
        torchFixture("small-cnn-zip.pth").toString(), "--out", zip.toString()).code(), "an existing --out is refused");

    Path back = tmp.resolve("back");
    r = run("import", zip.toString(), "--out", back.toString(), "--dataset", "embedded", "--model", "small-cnn",
        "--json");
    assertEquals(0, r.code(), r.err());
    assertEquals("small-cnn", r.lastJson().get("matchingModels").get(0).asText());
    Map<String, float[]> original = values(torchFixture("small-cnn-zip.pth"), "small-cnn");
    values(back, "small-cnn").forEach((k, v) -> assertArrayEquals(original.get(k), v, k));

    r = run("import", zip.toString(), "--out", tmp.resolve("wrong").toString(), "--dataset", "embedded", "--model",
        "resnet20");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("must have the layers of model resnet20") && r.err().contains("[small-cnn]"), r.err());

    Path quantized = tmp.resolve("q2.zip");
    r = run("export", "--format", "dl4j", "--model", "small-cnn", "--dataset", "embedded", "--weights",
        torchFixture("small-cnn-zip.pth").toString(), "--weight-bits", "2", "--out", quantized.toString());
    assertEquals(0, r.code(), r.err());
    r = run("import", quantized.toString(), "--out", tmp.resolve("q2").toString(), "--dataset", "embedded");
    assertEquals(0, r.code(), r.err());
    float[] w = values(tmp.resolve("q2"), "small-cnn").get("conv3.weight");
    assertTrue(java.util.Arrays.stream(box(w)).map(Math::abs).distinct().count() <= 4,
        "2-bit weights take at most 4 magnitudes");
  }

  /**
   * A run starts from a .pth file (its identity fingerprints the file) and its finetuned model exports to DL4J with
   * the dequantized 3-bit weights.
   */
  @Test
  @Tag("integration")
  void aRunStartsFromACheckpointFileAndItsFinetunedModelExports(@TempDir Path tmp) throws Exception {
    Path pth = torchFixture("small-cnn-zip.pth").toAbsolutePath().normalize();
    Path cfg = Files.writeString(tmp.resolve("u3.yaml"), """
        model: {name: small-cnn, activation: relu, actBits: 0, weights: "%s"}
        dataset: {name: embedded, batchSize: 64, limitTrain: 256, limitTest: 128}
        strategy: {name: uniform, params: {weightBits: 3}}
        finetune: {epochs: 1, learningRate: 0.02}
        seed: 7
        """.formatted(pth.toString().replace("\\", "/")));
    Path out = tmp.resolve("run");
    Result r = run("run", cfg.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    String sha = org.bsq.core.provenance.Digests.sha256Label(Files.readAllBytes(pth));
    assertTrue(Files.readString(out.resolve("config.json")).contains(sha), "the run's identity holds the file's sha256");

    Path zip = tmp.resolve("finetuned.zip");
    r = run("export", out.toString(), "--format", "dl4j", "--out", zip.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("the final model of run"), r.out());
    Path back = tmp.resolve("back");
    r = run("import", zip.toString(), "--out", back.toString(), "--dataset", "embedded", "--model", "small-cnn");
    assertEquals(0, r.code(), r.err());
    Map<String, float[]> finetuned = values(back, "small-cnn");
    for (String layer : new String[] {"conv2", "conv3", "conv4"}) {
      long levels = java.util.Arrays.stream(box(finetuned.get(layer + ".weight"))).map(Math::abs).distinct().count();
      assertTrue(levels <= 8, layer + ": 3-bit weights take at most 8 magnitudes, were " + levels);
    }
    assertFalse(java.util.Arrays.equals(values(torchFixture("small-cnn-zip.pth"), "small-cnn").get("conv3.weight"),
        finetuned.get("conv3.weight")));
  }

  /** Acceptance: the authors' published .pth.tar imports to exactly the tensor files of the shared raw folder. */
  @Test
  @Tag("integration")
  void theAuthorsCheckpointImportsToTheSharedRawFiles(@TempDir Path tmp) throws Exception {
    String shared = System.getProperty("bsq.shared.dir");
    Path ckpt = shared == null ? null
        : Path.of(shared, "data/pretrained/pytorch-checkpoints/resnet20-model_best-legacy.pth.tar");
    Path raw = shared == null ? null : Path.of(shared, "data/pretrained/resnet20-cifar10-fp32");
    assumeTrue(ckpt != null && Files.isRegularFile(ckpt) && Files.isDirectory(raw),
        "skipped: ../shared/data/pretrained is absent");
    Path out = tmp.resolve("resnet20");
    Result r = run("import", ckpt.toString(), "--out", out.toString(), "--model", "resnet20");
    assertEquals(0, r.code(), r.err());
    Map<String, String> ours = new HashMap<>();
    PretrainedWeights.entries(out).forEach(e -> ours.put(e.name(), e.md5()));
    Map<String, String> theirs = new HashMap<>();
    PretrainedWeights.entries(raw).forEach(e -> theirs.put(e.name(), e.md5()));
    assertEquals(theirs, ours, "same tensors, byte for byte");

    // to DL4J and back: recognised as resnet20 (DL4J orders the nodes its own way) with the same bytes again
    Path zip = tmp.resolve("resnet20.zip");
    assertEquals(0, run("export", "--format", "dl4j", "--model", "resnet20", "--weights", out.toString(), "--out", zip.toString()).code());
    Path back = tmp.resolve("back");
    r = run("import", zip.toString(), "--out", back.toString(), "--model", "resnet20", "--json");
    assertEquals(0, r.code(), r.err());
    assertEquals("resnet20", r.lastJson().get("matchingModels").get(0).asText());
    Map<String, String> again = new HashMap<>();
    PretrainedWeights.entries(back).forEach(e -> again.put(e.name(), e.md5()));
    assertEquals(theirs, again, "same tensors after the DL4J round trip");
  }

  static Double[] box(float[] v) {
    Double[] out = new Double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (double) v[i];
    }
    return out;
  }

  static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
