package org.bsq.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bsq.core.engine.Model;
import org.bsq.core.param.Parameter;
import org.bsq.models.io.TorchCheckpoint;
import org.bsq.models.io.TorchDType;
import org.bsq.models.io.TorchStateDict;
import org.bsq.models.io.TorchTensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The BSQ authors' ResNet-20 checkpoint ({@code ../shared/data/pretrained/pytorch-checkpoints}, the published legacy
 * {@code model_best.pth.tar} and its zip re-save) read directly gives exactly the tensors of the raw-float32 folder.
 */
@Tag("integration")
class PretrainedCheckpointTest {
  static final String CHECKPOINTS = "data/pretrained/pytorch-checkpoints/";

  @ParameterizedTest
  @ValueSource(strings = {"resnet20-model_best-legacy.pth.tar", "resnet20-model_best-zip.pth.tar"})
  void theAuthorsCheckpointGivesTheSameTensorsAsTheRawFolder(String file) {
    Path ckpt = SharedData.require(CHECKPOINTS + file);
    Path raw = SharedData.require(PretrainedResNet20Test.WEIGHTS);
    TorchCheckpoint c = TorchCheckpoint.read(ckpt);
    assertEquals(file.contains("legacy") ? "legacy" : "zip", c.format());
    assertEquals(Map.of("epoch", 343, "acc", 92.55, "best_acc", 92.55), TorchStateDict.metadata(c));
    Map<String, TorchTensor> sd = TorchStateDict.find(c);
    assertEquals(128, sd.size());
    assertEquals(21, sd.values().stream().filter(t -> t.dtype() == TorchDType.INT64).count());
    List<TorchStateDict.Entry> tensors = TorchStateDict.modelTensors(sd);
    List<PretrainedWeights.TensorEntry> manifest = PretrainedWeights.entries(raw);
    assertEquals(manifest.stream().map(PretrainedWeights.TensorEntry::name).toList(),
        tensors.stream().map(TorchStateDict.Entry::name).toList(), "same names in the same order");

    Model fromFile = Model.withZeroParameters(Models.create("resnet20", ModelOptions.cifar10()));
    PretrainedWeights.load(ckpt, fromFile.parameters(), true);
    Model fromRaw = Model.withZeroParameters(Models.create("resnet20", ModelOptions.cifar10()));
    PretrainedWeights.load(raw, fromRaw.parameters(), true);
    int compared = 0;
    for (Parameter p : fromRaw.parameters().all()) {
      assertArrayEquals(p.value(), fromFile.parameters().get(p.name()).value(), p.name() + " bit for bit");
      compared++;
    }
    assertEquals(107, compared);
    assertTrue(c.root() instanceof Map<?, ?> m && m.get("optimizer") instanceof Map<?, ?>, "optimizer state read");
  }
}
