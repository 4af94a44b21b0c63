package org.bsq.models.dl4j;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.file.Path;
import org.bsq.core.json.Json;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Makes {@code src/test/resources/fixtures/dl4j/small-graph.zip} (a DL4J ComputationGraph saved by ModelSerializer)
 * and {@code small-graph-output.json} (an input and DL4J's softmax output on it). Run from the repository root after
 * {@code mvn -o -q test-compile -pl bsq-models -am}:
 *
 * <pre>
 * mvn -o -q dependency:build-classpath -pl bsq-models -am -Dmdep.outputFile=/tmp/cp.txt
 * java -cp bsq-models/target/test-classes:bsq-models/target/classes:bsq-core/target/classes:$(cat /tmp/cp.txt) \
 *     org.bsq.models.dl4j.MakeDl4jFixture bsq-models/src/test/resources/fixtures/dl4j
 * </pre>
 *
 * The graph (input 3x8x8) covers every supported kind: c1 conv 3->8 with a non-zero bias (folded into bn1 on import),
 * bn1 configured with a ReLU activation (which DL4J's BatchNormalization ignores; batch norms in DL4J's default
 * useLogStd form, parameter log10stdev), c2 conv in ConvolutionMode.Same, bn2, the residual add of bn2 and bn1, an ActivationLayer
 * ReLU, c3 conv stride 2, bn3, an ActivationLayer ReLU6, global average pooling, a dense layer with inline ReLU and a
 * softmax output layer. Batch-norm statistics and biases are random (seed 7).
 */
public final class MakeDl4jFixture {
  private MakeDl4jFixture() {}

  static ComputationGraph build() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).updater(new Sgd(0.01)).graphBuilder()
        .addInputs("input")
        .addLayer("c1", new ConvolutionLayer.Builder(3, 3).stride(1, 1).padding(1, 1).nOut(8).hasBias(true)
            .activation(Activation.IDENTITY).build(), "input")
        .addLayer("bn1", new BatchNormalization.Builder().activation(Activation.RELU).build(), "c1")
        .addLayer("c2", new ConvolutionLayer.Builder(3, 3).convolutionMode(ConvolutionMode.Same).nOut(8)
            .hasBias(false).activation(Activation.IDENTITY).build(), "bn1")
        .addLayer("bn2", new BatchNormalization.Builder().build(), "c2")
        .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn2", "bn1")
        .addLayer("relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "add")
        .addLayer("c3", new ConvolutionLayer.Builder(3, 3).stride(2, 2).padding(1, 1).nOut(16).hasBias(false)
            .activation(Activation.IDENTITY).build(), "relu")
        .addLayer("bn3", new BatchNormalization.Builder().build(), "c3")
        .addLayer("relu6", new ActivationLayer.Builder().activation(Activation.RELU6).build(), "bn3")
        .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "relu6")
        .addLayer("fc1", new DenseLayer.Builder().nOut(12).activation(Activation.RELU).build(), "gap")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5)
            .activation(Activation.SOFTMAX).build(), "fc1")
        .setOutputs("out").setInputTypes(InputType.convolutional(8, 8, 3)).build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    Nd4j.getRandom().setSeed(7);
    for (String bn : new String[] {"bn1", "bn2", "bn3"}) {
      Layer l = net.getLayer(bn);
      uniform(l.getParam("gamma"), 0.5, 1.5);
      uniform(l.getParam("beta"), -0.2, 0.2);
      uniform(l.getParam("mean"), -0.1, 0.1);
      // DL4J's default (useLogStd) keeps log10(sqrt(var + eps)): variances in [0.5, 2]
      uniform(l.getParam("log10stdev"), 0.5 * Math.log10(0.5), 0.5 * Math.log10(2.0));
    }
    uniform(net.getLayer("c1").getParam("b"), -0.1, 0.1);
    uniform(net.getLayer("fc1").getParam("b"), -0.1, 0.1);
    uniform(net.getLayer("out").getParam("b"), -0.1, 0.1);
    return net;
  }

  static void uniform(INDArray p, double lo, double hi) {
    p.assign(Nd4j.rand(DataType.FLOAT, p.shape()).muli(hi - lo).addi(lo));
  }

  /** The fixture's input: 2 x 3 x 8 x 8, evenly spaced in [-2, 2]. */
  static float[] input() {
    float[] x = new float[2 * 3 * 8 * 8];
    for (int i = 0; i < x.length; i++) {
      x[i] = -2f + 4f * i / (x.length - 1);
    }
    return x;
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "bsq-models/src/test/resources/fixtures/dl4j");
    ComputationGraph net = build();
    ModelSerializer.writeModel(net, new File(dir.resolve("small-graph.zip").toString()), false);
    float[] x = input();
    INDArray out = net.outputSingle(Nd4j.create(x, new long[] {2, 3, 8, 8}, 'c'));
    ObjectNode root = Json.files().createObjectNode();
    root.put("made_by", "org.bsq.models.dl4j.MakeDl4jFixture (test sources), DL4J 1.0.0-M2.1");
    root.set("input_shape", Json.files().valueToTree(new int[] {2, 3, 8, 8}));
    root.put("input", "x[i] = -2 + 4 * i / (n - 1), n = 384 (MakeDl4jFixture.input())");
    ArrayNode probs = root.putArray("softmax_output");
    for (float v : out.castTo(DataType.FLOAT).dup('c').reshape(out.length()).toFloatVector()) {
      probs.add(v);
    }
    Json.writeFile(dir.resolve("small-graph-output.json"), root);
    System.out.println("wrote " + dir.resolve("small-graph.zip") + " and small-graph-output.json");
  }
}
