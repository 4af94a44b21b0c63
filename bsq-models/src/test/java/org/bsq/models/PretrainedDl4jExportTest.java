package org.bsq.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.bsq.core.engine.Model;
import org.bsq.models.dl4j.Dl4jModels;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The authors' ResNet-20, read from their legacy {@code .pth.tar} and exported to a DL4J ComputationGraph, gives the
 * manifest's reference outputs in DL4J (as softmax of the reference logits).
 */
@Tag("integration")
class PretrainedDl4jExportTest {
  @Test
  void theExportedResNet20ReproducesTheReferenceLogitsInDl4j() {
    Path ckpt = SharedData.require(PretrainedCheckpointTest.CHECKPOINTS + "resnet20-model_best-legacy.pth.tar");
    Path raw = SharedData.require(PretrainedResNet20Test.WEIGHTS);
    Model model = Model.withZeroParameters(Models.create("resnet20", ModelOptions.cifar10()));
    PretrainedWeights.load(ckpt, model.parameters(), true);
    ComputationGraph net = Dl4jModels.toComputationGraph(model, false);

    JsonNode ref = PretrainedWeights.readManifest(raw).path("reference_outputs_plain_relu_no_act_quant");
    float[] synthetic = PretrainedResNet20Test.floats(ref.path("input_synthetic_pixels").path("logits"));
    float[] input = new float[3 * 32 * 32];
    for (int c = 0; c < 3; c++) {
      for (int h = 0; h < 32; h++) {
        for (int w = 0; w < 32; w++) {
          int pixel = (c * 1024 + h * 32 + w) % 256;
          input[c * 1024 + h * 32 + w] = (pixel / 255f - PretrainedResNet20Test.MEAN[c]) / PretrainedResNet20Test.STD[c];
        }
      }
    }
    INDArray y = net.outputSingle(Nd4j.create(input, new long[] {1, 3, 32, 32}, 'c'));
    float[] probs = y.castTo(DataType.FLOAT).dup('c').reshape(y.length()).toFloatVector();
    assertArrayEquals(softmax(synthetic), probs, 1e-5f);
  }

  static float[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : logits) {
      sum += Math.exp(v - max);
    }
    float[] out = new float[logits.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (Math.exp(logits[i] - max) / sum);
    }
    return out;
  }
}
