package org.bsq.models.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.graph.Op;
import org.bsq.core.graph.Shape;
import org.bsq.core.harness.Harness;
import org.bsq.core.json.Json;
import org.bsq.core.param.Parameter;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.models.ModelOptions;
import org.bsq.models.Models;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * DL4J models import into graphs the engine computes alike (the committed fixture of {@link MakeDl4jFixture} and
 * MultiLayerNetworks), unsupported layers are refused by name, and models export to ComputationGraphs that compute our
 * outputs, with the effective (dequantized) weights under a fixed scheme.
 */
class Dl4jModelsTest {
  static final Shape FIXTURE_INPUT = new Shape(3, 8, 8);

  static Path fixture(String name) {
    try {
      return Path.of(Dl4jModelsTest.class.getResource("/fixtures/dl4j/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test resource fixtures/dl4j/" + name, e);
    }
  }

  static float[] forward(Model model, float[] input, int batch) {
    try (CompiledNetwork net = new ReferenceBackend().compile(model, batch)) {
      return net.forward(input, false);
    }
  }

  static float[] softmax(float[] logits, int classes) {
    float[] out = new float[logits.length];
    for (int r = 0; r < logits.length / classes; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, logits[r * classes + c]);
      }
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        sum += Math.exp(logits[r * classes + c] - max);
      }
      for (int c = 0; c < classes; c++) {
        out[r * classes + c] = (float) (Math.exp(logits[r * classes + c] - max) / sum);
      }
    }
    return out;
  }

  static float[] dl4jOutput(ComputationGraph net, float[] input, Shape shape, int batch) {
    INDArray x = Nd4j.create(input, new long[] {batch, shape.channels(), shape.height(), shape.width()}, 'c');
    INDArray y = net.outputSingle(x);
    return y.castTo(DataType.FLOAT).dup('c').reshape(y.length()).toFloatVector();
  }

  static float[] floats(JsonNode a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) a.get(i).asDouble();
    }
    return out;
  }

  /** Random values in every tensor; batch-norm variances positive. */
  static void randomize(Model model, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (Parameter p : model.parameters().all()) {
      float[] v = p.value();
      boolean var = p.name().endsWith(".running_var");
      for (int i = 0; i < v.length; i++) {
        v[i] = var ? (float) (0.5 + 1.5 * r.nextDouble()) : (float) (r.nextDouble() * 0.6 - 0.3);
      }
    }
  }

  @Test
  void theFixtureGraphImportsAndComputesDl4jsOutput() {
    Dl4jModels.Imported imported = Dl4jModels.read(fixture("small-graph.zip"), FIXTURE_INPUT);
    Model model = imported.model();
    List<String> kinds = model.graph().ops().stream().map(o -> o.getClass().getSimpleName()).toList();
    assertEquals(List.of("Input", "Conv2d", "BatchNorm", "Conv2d", "BatchNorm", "Add", "Activation",
        "Conv2d", "BatchNorm", "Activation", "GlobalAvgPool", "Linear", "Activation", "Linear"), kinds);
    assertTrue(imported.notes().contains("convolution 'c1': bias folded into batch norm 'bn1' (running_mean -= bias)"),
        imported.notes().toString());
    assertTrue(imported.notes().contains("output layer 'out': softmax dropped (the graph's output is the logits)"));
    assertTrue(imported.notes().contains("batch norm 'bn1': activation relu ignored, as DL4J's BatchNormalization "
        + "layer ignores it"), imported.notes().toString());
    assertEquals(3, imported.notes().size(), "no note for the inherited default sigmoid of bn2, bn3: " + imported.notes());
    assertTrue(model.parameters().contains("c1.weight") && model.parameters().contains("bn3.running_var"));
    JsonNode ref = Json.readTree(fixture("small-graph-output.json"));
    float[] expected = floats(ref.path("softmax_output"));
    float[] ours = softmax(forward(model, MakeDl4jFixture.input(), 2), 5);
    assertArrayEquals(expected, ours, 1e-5f);
  }

  @Test
  void anImportedModelExportsBackToTheSameFunction(@TempDir Path dir) throws Exception {
    Model model = Dl4jModels.read(fixture("small-graph.zip"), FIXTURE_INPUT).model();
    Path file = dir.resolve("again.zip");
    Dl4jModels.write(model, false, file);
    Dl4jModels.Imported again = Dl4jModels.read(file, FIXTURE_INPUT);
    for (Parameter p : model.parameters().all()) {
      assertArrayEquals(p.value(), again.model().parameters().get(p.name()).value(), 1e-6f, p.name());
    }
    ComputationGraph net = org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(file.toFile(), false);
    float[] expected = floats(Json.readTree(fixture("small-graph-output.json")).path("softmax_output"));
    assertArrayEquals(expected, dl4jOutput(net, MakeDl4jFixture.input(), FIXTURE_INPUT, 2), 1e-5f);
    assertFalse(net.getLayer("c1").paramTable().containsKey("b"), "exported convolutions have no bias");
  }

  @Test
  void resnet20ExportsToAComputationGraphThatComputesOurOutput() {
    Model model = Model.withZeroParameters(Models.create("resnet20", ModelOptions.cifar10()));
    randomize(model, 3);
    ComputationGraph net = Dl4jModels.toComputationGraph(model, false);
    float[] x = new float[2 * 3 * 32 * 32];
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    float[] ours = softmax(forward(model, x, 2), 10);
    assertArrayEquals(ours, dl4jOutput(net, x, model.graph().inputShape(), 2), 2e-5f);
    Model back = Dl4jModels.fromComputationGraph(net, model.graph().inputShape(), "resnet20").model();
    assertEquals(new TreeSet<>(model.graph().parameterShapes().keySet()),
        new TreeSet<>(back.graph().parameterShapes().keySet()), "same parameter names after the round trip");
    assertTrue(Dl4jModels.sameLayers(model.graph(), back.graph()), "the same layers, connected the same way");
    assertFalse(Dl4jModels.sameLayers(Models.create("resnet32", ModelOptions.cifar10()), back.graph()));
    for (Parameter p : model.parameters().all()) {
      assertArrayEquals(p.value(), back.parameters().get(p.name()).value(), p.name());
    }
  }

  @Test
  void exportUnderAFixedSchemeWritesTheDequantizedWeights() {
    Model model = Model.withZeroParameters(Models.create("resnet20", ModelOptions.cifar10()));
    randomize(model, 4);
    Harness.installFixedScheme(model, QuantizationScheme.uniform(LayerInventory.of(model.graph()), 2, 0));
    ComputationGraph net = Dl4jModels.toComputationGraph(model, false);
    float[] w = net.getLayer("layer2.1.conv1").getParam("W").dup('c').reshape(-1).toFloatVector();
    TreeSet<Float> magnitudes = new TreeSet<>();
    for (float v : w) {
      magnitudes.add(Math.abs(v));
    }
    assertTrue(magnitudes.size() <= 4, "2-bit weights take few magnitudes, were " + magnitudes.size());
    float[] raw = model.parameters().get("layer2.1.conv1.weight").value();
    assertFalse(java.util.Arrays.equals(raw, w), "the exported weights are the quantized ones, not the stored floats");
    float[] x = new float[3 * 32 * 32];
    java.util.Arrays.fill(x, 0.25f);
    assertArrayEquals(softmax(forward(model, x, 1), 10), dl4jOutput(net, x, model.graph().inputShape(), 1), 2e-5f);
  }

  static MultiLayerNetwork mln(boolean maxPool) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).list()
        .layer(new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(4).hasBias(false).activation(Activation.RELU)
            .name("conv").build())
        .layer(new BatchNormalization.Builder().name("bn").build());
    if (maxPool) {
      b.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
          .name("pool").build());
    }
    MultiLayerConfiguration conf = b
        .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
            .name("out").build())
        .setInputType(InputType.convolutional(6, 6, 2)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  @Test
  void aMultiLayerNetworkImportsAndUnsupportedLayersAreRefusedByName() {
    MultiLayerNetwork net = mln(false);
    Shape in = new Shape(2, 6, 6);
    Model model = Dl4jModels.fromMultiLayerNetwork(net, in, "mln").model();
    assertTrue(model.graph().ops().get(2) instanceof Op.Activation, "the conv's own ReLU becomes a node");
    float[] x = new float[2 * 2 * 6 * 6];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(i);
    }
    float[] expected = net.output(Nd4j.create(x, new long[] {2, 2, 6, 6}, 'c')).dup('c').reshape(-1).toFloatVector();
    assertArrayEquals(expected, softmax(forward(model, x, 2), 3), 1e-5f);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Dl4jModels.fromMultiLayerNetwork(mln(true), in, "mln"));
    assertTrue(e.getMessage().startsWith("pooling layer 'pool' (MAX 2x2) is not supported"), e.getMessage());
  }

  @Test
  void aConvBiasNoBatchNormCanAbsorbIsRefused() {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).hasBias(true).biasInit(0.5).activation(Activation.RELU)
            .name("conv").build())
        .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
            .build())
        .setInputType(InputType.convolutional(6, 6, 2)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Dl4jModels.fromMultiLayerNetwork(net, new Shape(2, 6, 6), "biased"));
    assertTrue(e.getMessage().startsWith("convolution 'conv' has a non-zero bias"), e.getMessage());
  }
}
