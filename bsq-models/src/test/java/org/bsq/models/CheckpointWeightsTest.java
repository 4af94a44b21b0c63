package org.bsq.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.Shape;
import org.bsq.core.json.Json;
import org.bsq.core.param.Parameter;
import org.bsq.models.io.TorchCheckpoint;
import org.bsq.models.io.TorchStateDict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A PyTorch checkpoint of the small CNN (made by {@code fixtures/torch/make_fixtures.py}) loads into our small-cnn
 * through {@link PretrainedWeights#load} and gives PyTorch's logits; importing it to a weights folder keeps every
 * tensor bit for bit.
 */
class CheckpointWeightsTest {
  static Path fixture(String name) {
    try {
      return Path.of(CheckpointWeightsTest.class.getResource("/fixtures/torch/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test resource fixtures/torch/" + name, e);
    }
  }

  static Model smallCnn() {
    ModelOptions o = new ModelOptions(new Shape(1, 12, 12), 10, org.bsq.core.graph.ActivationSpec.relu());
    return Model.withZeroParameters(Models.create("small-cnn", o));
  }

  @ParameterizedTest
  @ValueSource(strings = {"legacy", "zip"})
  void aCheckpointFileGivesPyTorchsLogits(String format) {
    Model model = smallCnn();
    PretrainedWeights.load(fixture("small-cnn-" + format + ".pth"), model.parameters(), true);
    JsonNode ref = Json.readTree(fixture("small-cnn-logits.json"));
    float[] input = floats(ref.path("input"));
    float[] expected = floats(ref.path("logits"));
    try (CompiledNetwork net = new ReferenceBackend().compile(model, 2)) {
      float[] logits = net.forward(input, false);
      assertArrayEquals(expected, logits, 2e-5f);
    }
  }

  @Test
  void importingToAFolderKeepsEveryTensorBitForBit(@TempDir Path dir) {
    TorchCheckpoint c = TorchCheckpoint.read(fixture("small-cnn-zip.pth"));
    PretrainedWeights.save(dir, TorchStateDict.modelTensors(TorchStateDict.find(c)), Map.of("epoch", 7));
    Model fromFolder = smallCnn();
    PretrainedWeights.load(dir, fromFolder.parameters(), true);
    Model fromFile = smallCnn();
    PretrainedWeights.load(fixture("small-cnn-legacy.pth"), fromFile.parameters(), false);
    for (Parameter p : fromFile.parameters().all()) {
      assertArrayEquals(p.value(), fromFolder.parameters().get(p.name()).value(), p.name());
    }
    assertEquals("module.conv1.weight",
        PretrainedWeights.readManifest(dir).path("tensors").get(0).path("checkpoint_key").asText());
  }

  @Test
  void aCheckpointOfAnotherModelIsRefusedNamingTheTensor() {
    Model resnet = Model.withZeroParameters(Models.create("resnet20", ModelOptions.cifar10()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PretrainedWeights.load(fixture("small-cnn-zip.pth"), resnet.parameters(), true));
    assertTrue(e.getMessage().contains("small-cnn-zip.pth") && e.getMessage().contains("no parameter in the model"),
        e.getMessage());
  }

  static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) array.get(i).asDouble();
    }
    return out;
  }
}
