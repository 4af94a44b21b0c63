package org.bsq.models.dl4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.graph.Op;
import org.bsq.core.graph.Shape;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * DeepLearning4J models to and from this project's graphs, for the layer kinds the engine has: convolution (square
 * kernel, equal strides and symmetric padding, no dilation, NCHW), batch normalization, ReLU (also as a layer's own
 * activation), ReLU6, global average pooling, dense and output layers, and the residual add
 * ({@code ElementWiseVertex(Add)}). Anything else is refused naming the layer and what it is.
 *
 * <p>Import ({@link #read}, {@link #fromComputationGraph}, {@link #fromMultiLayerNetwork}): each DL4J layer becomes a
 * node named after it (parameters {@code NAME.weight}, {@code NAME.bias}, {@code NAME.running_mean}, ...). A conv
 * bias, which the engine's convolution lacks, is folded into the batch norm that alone consumes it
 * ({@code running_mean -= bias}, exact); a non-zero bias anywhere else is refused. The output layer's softmax is
 * dropped: the graph's output is the logits, as in every model here. DL4J models do not store their input size, so
 * the caller gives it. DL4J's BatchNormalization layer ignores its configured activation (checked with 1.0.0-M2.1:
 * a ReLU there leaves negative values), so the import ignores it too.
 *
 * <p>Export ({@link #toComputationGraph}, {@link #write}): a {@link Model} becomes a ComputationGraph with the same
 * names; conv and linear weights are the model's <em>effective</em> ones (its weight sources': after a fixed-precision
 * scheme is installed, the dequantized, float-equivalent weights), the last linear layer becomes a softmax
 * {@code OutputLayer} with cross-entropy loss.
 */
public final class Dl4jModels {
  /** An imported model and what the import changed on the way (folded biases, dropped softmax), one line each. */
  public record Imported(Model model, List<String> notes) {
    public Imported {
      notes = List.copyOf(notes);
    }
  }

  private Dl4jModels() {}

  /** Whether {@code file} is a DL4J ModelSerializer zip (configuration.json and coefficients.bin). */
  public static boolean looksLikeDl4jZip(Path file) {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try (ZipFile zip = new ZipFile(file.toFile())) {
      return zip.getEntry("configuration.json") != null && zip.getEntry("coefficients.bin") != null;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Reads a model saved by DL4J's {@code ModelSerializer} (a ComputationGraph or a MultiLayerNetwork) for inputs of
   * {@code input} (channels x height x width).
   */
  public static Imported read(Path file, Shape input) {
    if (!looksLikeDl4jZip(file)) {
      throw new IllegalArgumentException("DL4J model must be a ModelSerializer zip with configuration.json and "
          + "coefficients.bin, was '" + file + "'");
    }
    String config;
    try (ZipFile zip = new ZipFile(file.toFile()); InputStream in = zip.getInputStream(zip.getEntry("configuration.json"))) {
      config = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    try {
      if (config.contains("\"vertices\"")) {
        return fromComputationGraph(ModelSerializer.restoreComputationGraph(file.toFile(), false), input,
            file.getFileName().toString());
      }
      return fromMultiLayerNetwork(ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false), input,
          file.getFileName().toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read DL4J model " + file + ": " + e.getMessage(), e);
    }
  }

  /** Imports a ComputationGraph (one input, one output). */
  public static Imported fromComputationGraph(ComputationGraph net, Shape input, String name) {
    ComputationGraphConfiguration conf = net.getConfiguration();
    if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
      throw new IllegalArgumentException("DL4J graph '" + name + "' must have one input and one output, has inputs "
          + conf.getNetworkInputs() + " and outputs " + conf.getNetworkOutputs());
    }
    Converter c = new Converter(name, input);
    Map<String, Integer> uses = new HashMap<>();
    conf.getVertexInputs().values().forEach(ins -> ins.forEach(i -> uses.merge(i, 1, Integer::sum)));
    for (String v : conf.getTopologicalOrderStr()) {
      if (conf.getNetworkInputs().contains(v)) {
        c.nodes.put(v, c.b.input());
        continue;
      }
      GraphVertex vertex = conf.getVertices().get(v);
      List<String> ins = conf.getVertexInputs().get(v);
      if (vertex instanceof LayerVertex lv) {
        if (ins.size() != 1) {
          throw new IllegalArgumentException("layer '" + v + "' must have one input, has " + ins);
        }
        c.layer(v, lv.getLayerConf().getLayer(), lv.getPreProcessor(), ins.get(0), net.getLayer(v),
            uses.getOrDefault(v, 0));
      } else if (vertex instanceof ElementWiseVertex ew && ew.getOp() == ElementWiseVertex.Op.Add) {
        c.add(v, ins);
      } else {
        throw new IllegalArgumentException("vertex '" + v + "' (" + describe(vertex) + ") of DL4J graph '" + name
            + "' is not supported; supported: convolution, batch normalization, ReLU/ReLU6, global average "
            + "pooling, dense and output layers, ElementWiseVertex(Add)");
      }
    }
    return c.finish(conf.getNetworkOutputs().get(0));
  }

  /** Imports a MultiLayerNetwork. */
  public static Imported fromMultiLayerNetwork(MultiLayerNetwork net, Shape input, String name) {
    MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
    Converter c = new Converter(name, input);
    String previous = "input";
    c.nodes.put(previous, c.b.input());
    List<NeuralNetConfiguration> confs = conf.getConfs();
    for (int i = 0; i < confs.size(); i++) {
      org.deeplearning4j.nn.conf.layers.Layer l = confs.get(i).getLayer();
      String layerName = l.getLayerName() != null ? l.getLayerName() : "layer" + i;
      c.layer(layerName, l, conf.getInputPreProcess(i), previous, net.getLayer(i), i + 1 < confs.size() ? 1 : 0);
      previous = layerName;
    }
    return c.finish(previous);
  }

  /** Builds the graph and copies the parameters as the DL4J layers are visited in topological order. */
  private static final class Converter {
    final String source;
    final GraphBuilder b;
    final Map<String, Integer> nodes = new HashMap<>();
    final Map<String, float[]> values = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();
    /** Conv outputs whose non-zero bias waits for the batch norm that consumes them: node -> (layer, bias). */
    final Map<Integer, Map.Entry<String, float[]>> pendingBias = new HashMap<>();

    Converter(String source, Shape input) {
      this.source = source;
      this.b = new GraphBuilder(source.replaceAll("\\.zip$", ""), input.channels(), input.height(), input.width());
    }

    int node(String name) {
      Integer n = nodes.get(name);
      if (n == null) {
        throw new IllegalArgumentException("DL4J model '" + source + "': input '" + name + "' is not known yet");
      }
      return n;
    }

    void layer(String name, org.deeplearning4j.nn.conf.layers.Layer l, InputPreProcessor pre, String inputName,
               Layer impl, int consumers) {
      if (pre != null && !(pre instanceof CnnToFeedForwardPreProcessor)) {
        throw new IllegalArgumentException("layer '" + name + "' input preprocessor " + describe(pre)
            + " is not supported (only CnnToFeedForwardPreProcessor, a flatten)");
      }
      int in = node(inputName);
      int out;
      if (l instanceof ConvolutionLayer conv && l.getClass() == ConvolutionLayer.class) {
        out = conv(name, conv, in, impl, consumers);
      } else if (l instanceof BatchNormalization bn) {
        out = batchNorm(name, bn, in, impl);
      } else if (l instanceof ActivationLayer a) {
        out = activation(name, a.getActivationFn(), in, true);
      } else if (l instanceof GlobalPoolingLayer gp) {
        if (gp.getPoolingType() != PoolingType.AVG) {
          throw new IllegalArgumentException("global pooling layer '" + name + "' must pool AVG (the engine has global "
              + "average pooling only), was " + gp.getPoolingType());
        }
        out = b.globalAvgPool(in);
      } else if (l instanceof DenseLayer || l instanceof OutputLayer) {
        out = dense(name, (BaseLayer) l, in, impl, l instanceof OutputLayer);
      } else if (l instanceof SubsamplingLayer s) {
        throw new IllegalArgumentException("pooling layer '" + name + "' (" + s.getPoolingType() + " "
            + s.getKernelSize()[0] + "x" + s.getKernelSize()[1] + ") is not supported: the engine has global average "
            + "pooling only");
      } else {
        throw new IllegalArgumentException("layer '" + name + "' (" + describe(l) + ") of DL4J model '" + source
            + "' is not supported; supported: ConvolutionLayer, BatchNormalization, ActivationLayer (ReLU, ReLU6), "
            + "GlobalPoolingLayer (AVG), DenseLayer, OutputLayer and ElementWiseVertex(Add)");
      }
      if (l.getIDropout() != null) {
        notes.add("layer '" + name + "': dropout " + l.getIDropout() + " dropped (the engine has no dropout)");
      }
      nodes.put(name, out);
    }

    private int conv(String name, ConvolutionLayer conv, int in, Layer impl, int consumers) {
      int[] k = conv.getKernelSize();
      int[] s = conv.getStride();
      int[] p = conv.getPadding();
      int[] d = conv.getDilation();
      if (k[0] != k[1] || s[0] != s[1] || p[0] != p[1] || d[0] != 1 || d[1] != 1) {
        throw new IllegalArgumentException("convolution '" + name + "' must have a square kernel, equal strides and "
            + "paddings and no dilation, was kernel " + k[0] + "x" + k[1] + ", stride " + s[0] + "x" + s[1]
            + ", padding " + p[0] + "x" + p[1] + ", dilation " + d[0] + "x" + d[1]);
      }
      if (conv.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
        throw new IllegalArgumentException("convolution '" + name + "' data format must be NCHW, was "
            + conv.getCnn2dDataFormat());
      }
      int pad = p[0];
      ConvolutionMode mode = conv.getConvolutionMode();
      if (mode == ConvolutionMode.Same) {
        if (s[0] != 1 || k[0] % 2 == 0) {
          throw new IllegalArgumentException("convolution '" + name + "' in ConvolutionMode.Same must have stride 1 "
              + "and an odd kernel (other cases pad asymmetrically), was kernel " + k[0] + ", stride " + s[0]);
        }
        pad = (k[0] - 1) / 2;
      } else if (mode != ConvolutionMode.Truncate && mode != ConvolutionMode.Strict) {
        throw new IllegalArgumentException("convolution '" + name + "' mode must be Truncate, Strict or Same, was "
            + mode);
      }
      int out = b.conv(name, in, (int) conv.getNOut(), k[0], s[0], pad);
      values.put(name + ".weight", flat(impl.getParam("W")));
      if (conv.hasBias()) {
        float[] bias = flat(impl.getParam("b"));
        if (!allZero(bias)) {
          if (consumers != 1 || !(conv.getActivationFn() instanceof ActivationIdentity)) {
            throw new IllegalArgumentException("convolution '" + name + "' has a non-zero bias, which the engine's "
                + "convolution lacks; it can be folded only into a batch norm that alone consumes the convolution "
                + "with identity activation (here: " + consumers + " consumer(s), activation "
                + conv.getActivationFn() + ")");
          }
          pendingBias.put(out, Map.entry(name, bias));
        }
      }
      return activation(name + ".act", conv.getActivationFn(), out, false);
    }

    private int batchNorm(String name, BatchNormalization bn, int in, Layer impl) {
      if (Math.abs(bn.getEps() - GraphBuilder.BN_EPS) > 1e-12) {
        throw new IllegalArgumentException("batch norm '" + name + "' eps must be " + GraphBuilder.BN_EPS
            + " (the engine's, PyTorch's default), was " + bn.getEps());
      }
      if (Math.abs((1 - bn.getDecay()) - GraphBuilder.BN_MOMENTUM) > 1e-6) {
        notes.add("batch norm '" + name + "': decay " + bn.getDecay() + " replaced by the engine's momentum "
            + GraphBuilder.BN_MOMENTUM + " (decay 0.9; affects only running statistics in training)");
      }
      int out = b.batchNorm(name, in);
      int c = b.shape(out).channels();
      float[] gamma = bn.isLockGammaBeta() ? filled(c, (float) bn.getGamma()) : flat(impl.getParam("gamma"));
      float[] beta = bn.isLockGammaBeta() ? filled(c, (float) bn.getBeta()) : flat(impl.getParam("beta"));
      float[] mean = flat(impl.getParam("mean"));
      float[] var;
      if (bn.isUseLogStd()) {
        float[] log10std = flat(impl.getParam("log10stdev"));
        var = new float[c];
        for (int i = 0; i < c; i++) {
          var[i] = (float) (Math.pow(10, 2.0 * log10std[i]) - bn.getEps());
        }
      } else {
        var = flat(impl.getParam("var"));
      }
      Map.Entry<String, float[]> bias = pendingBias.remove(in);
      if (bias != null) {
        for (int i = 0; i < c; i++) {
          mean[i] -= bias.getValue()[i];
        }
        notes.add("convolution '" + bias.getKey() + "': bias folded into batch norm '" + name + "' (running_mean -= "
            + "bias)");
      }
      values.put(name + ".weight", gamma);
      values.put(name + ".bias", beta);
      values.put(name + ".running_mean", mean);
      values.put(name + ".running_var", var);
      // sigmoid is DL4J's global default activation, which a batch norm inherits unless told otherwise: not worth a note
      if (!(bn.getActivationFn() instanceof ActivationIdentity)
          && !(bn.getActivationFn() instanceof org.nd4j.linalg.activations.impl.ActivationSigmoid)) {
        notes.add("batch norm '" + name + "': activation " + bn.getActivationFn() + " ignored, as DL4J's "
            + "BatchNormalization layer ignores it");
      }
      return out;
    }

    private int dense(String name, BaseLayer l, int in, Layer impl, boolean output) {
      long nIn = ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) l).getNIn();
      int outFeatures = (int) ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) l).getNOut();
      if (b.shape(in).size() != nIn) {
        throw new IllegalArgumentException("layer '" + name + "' nIn must be " + b.shape(in).size() + " (its input "
            + b.shape(in) + " flattened), was " + nIn + " (wrong input shape?)");
      }
      int out = b.linear(name, in, outFeatures);
      float[] w = flat(impl.getParam("W")); // [nIn, nOut]
      float[] t = new float[w.length];
      for (int i = 0; i < nIn; i++) {
        for (int o = 0; o < outFeatures; o++) {
          t[o * (int) nIn + i] = w[i * outFeatures + o];
        }
      }
      values.put(name + ".weight", t);
      boolean hasBias = l instanceof DenseLayer dl ? dl.hasBias() : ((OutputLayer) l).hasBias();
      values.put(name + ".bias", hasBias ? flat(impl.getParam("b")) : new float[outFeatures]);
      IActivation act = l.getActivationFn();
      if (output && act instanceof ActivationSoftmax) {
        notes.add("output layer '" + name + "': softmax dropped (the graph's output is the logits)");
        return out;
      }
      return activation(name + ".act", act, out, false);
    }

    int activation(String name, IActivation act, int in, boolean required) {
      if (act instanceof ActivationIdentity) {
        return in;
      }
      if (act instanceof ActivationReLU r && plainRelu(r)) {
        return b.activation(name, in, ActivationSpec.relu());
      }
      if (act instanceof ActivationReLU6) {
        return b.activation(name, in, ActivationSpec.relu6());
      }
      throw new IllegalArgumentException("activation of '" + name.replaceAll("\\.act$", "") + "' must be identity, "
          + "ReLU or ReLU6, was " + act);
    }

    void add(String name, List<String> ins) {
      if (ins.size() < 2) {
        throw new IllegalArgumentException("add vertex '" + name + "' must have at least two inputs, has " + ins);
      }
      int acc = node(ins.get(0));
      for (int i = 1; i < ins.size(); i++) {
        acc = b.add(acc, node(ins.get(i)));
      }
      nodes.put(name, acc);
    }

    Imported finish(String outputName) {
      if (!pendingBias.isEmpty()) {
        String layer = pendingBias.values().iterator().next().getKey();
        throw new IllegalArgumentException("convolution '" + layer + "' has a non-zero bias and no batch norm "
            + "consumes it, which the engine's convolution cannot represent");
      }
      Graph graph = b.build();
      if (node(outputName) != graph.outputNode()) {
        throw new IllegalArgumentException("DL4J model '" + source + "' output '" + outputName + "' must be its last "
            + "layer in topological order");
      }
      Model model = Model.withZeroParameters(graph);
      for (Parameter p : model.parameters().all()) {
        float[] v = values.get(p.name());
        if (v == null) {
          if (p.role() == ParameterRole.ACTIVATION_CLIP) {
            continue;
          }
          throw new IllegalStateException("no value imported for parameter " + p.name());
        }
        if (v.length != p.size()) {
          throw new IllegalArgumentException("parameter '" + p.name() + "' of DL4J model '" + source + "' must have "
              + p.size() + " elements, has " + v.length);
        }
        System.arraycopy(v, 0, p.value(), 0, v.length);
      }
      return new Imported(model, notes);
    }
  }

  /**
   * Whether two graphs have the same layers connected the same way, whatever their node order (DL4J's topological
   * order may differ from ours): every node is compared by its kind, attributes, name and the names of its inputs
   * (unnamed adds and poolings are named after their inputs), and both outputs must be the same node.
   */
  public static boolean sameLayers(Graph a, Graph b) {
    return a.inputShape().equals(b.inputShape()) && describe(a, a.outputNode()).equals(describe(b, b.outputNode()))
        && nodeSet(a).equals(nodeSet(b));
  }

  private static java.util.Set<String> nodeSet(Graph g) {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (int i = 0; i < g.size(); i++) {
      StringBuilder sb = new StringBuilder(describe(g, i)).append(" <-");
      for (int in : g.op(i).inputs()) {
        sb.append(' ').append(describe(g, in));
      }
      out.add(sb.toString());
    }
    return out;
  }

  private static String describe(Graph g, int node) {
    Op op = g.op(node);
    if (op instanceof Op.Input) {
      return "input";
    }
    if (op instanceof Op.Add add) {
      return "add(" + describe(g, add.left()) + ", " + describe(g, add.right()) + ")";
    }
    if (op instanceof Op.GlobalAvgPool p) {
      return "gap(" + describe(g, p.input()) + ")";
    }
    if (op instanceof Op.Conv2d c) {
      return "conv " + c.name() + " " + c.outChannels() + " k" + c.kernel() + " s" + c.stride() + " p" + c.padding();
    }
    if (op instanceof Op.BatchNorm bn) {
      return "bn " + bn.name() + " eps " + bn.eps() + " m " + bn.momentum();
    }
    if (op instanceof Op.Activation act) {
      return "act " + act.name() + " " + act.spec();
    }
    if (op instanceof Op.Linear l) {
      return "linear " + l.name() + " " + l.outFeatures();
    }
    throw new IllegalStateException("unknown op " + op);
  }

  // ------------------------------------------------------------------------------------------------ export

  /**
   * The ComputationGraph of {@code model} with its effective weights (see the class comment). Quantized activations
   * have no DL4J layer: with {@code floatActivations} a ReLU6 quantizer is exported as plain ReLU6 (PACT is refused);
   * without, any quantized activation is refused.
   */
  public static ComputationGraph toComputationGraph(Model model, boolean floatActivations) {
    Graph g = model.graph();
    Shape in = g.inputShape();
    List<Op> ops = g.ops();
    if (!(ops.get(g.outputNode()) instanceof Op.Linear)) {
      throw new IllegalArgumentException("model '" + g.name() + "' must end in a linear layer to export to DL4J "
          + "(it becomes the softmax output layer), ends in " + ops.get(g.outputNode()));
    }
    ComputationGraphConfiguration.GraphBuilder gb = new NeuralNetConfiguration.Builder()
        .seed(0).dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER).updater(new Sgd(0.01))
        .graphBuilder().addInputs("input");
    String[] names = new String[ops.size()];
    names[0] = "input";
    for (int i = 1; i < ops.size(); i++) {
      Op op = ops.get(i);
      String[] inputs = op.inputs().stream().map(x -> names[x]).toArray(String[]::new);
      if (op instanceof Op.Conv2d c) {
        names[i] = c.name();
        gb.addLayer(c.name(), new ConvolutionLayer.Builder(c.kernel(), c.kernel()).stride(c.stride(), c.stride())
            .padding(c.padding(), c.padding()).nOut(c.outChannels()).hasBias(false)
            .convolutionMode(ConvolutionMode.Truncate).activation(Activation.IDENTITY).build(), inputs);
      } else if (op instanceof Op.BatchNorm bn) {
        names[i] = bn.name();
        gb.addLayer(bn.name(), new BatchNormalization.Builder().eps(bn.eps()).decay(1 - bn.momentumDecimal())
            .useLogStd(false).activation(Activation.IDENTITY).build(), inputs);
      } else if (op instanceof Op.Activation a) {
        names[i] = a.name();
        gb.addLayer(a.name(), new ActivationLayer.Builder().activation(dl4jActivation(model, a, floatActivations))
            .build(), inputs);
      } else if (op instanceof Op.Add) {
        names[i] = "add" + i;
        gb.addVertex(names[i], new ElementWiseVertex(ElementWiseVertex.Op.Add), inputs);
      } else if (op instanceof Op.GlobalAvgPool) {
        names[i] = "pool" + i;
        gb.addLayer(names[i], new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), inputs);
      } else if (op instanceof Op.Linear l) {
        names[i] = l.name();
        if (i == g.outputNode()) {
          gb.addLayer(l.name(), new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(l.outFeatures())
              .activation(Activation.SOFTMAX).build(), inputs);
        } else {
          gb.addLayer(l.name(), new DenseLayer.Builder().nOut(l.outFeatures()).activation(Activation.IDENTITY)
              .build(), inputs);
        }
      } else {
        throw new IllegalStateException("op " + op + " at node " + i + " cannot be exported");
      }
    }
    gb.setOutputs(names[g.outputNode()]).setInputTypes(InputType.convolutional(in.height(), in.width(),
        in.channels()));
    ComputationGraph net = new ComputationGraph(gb.build());
    net.init();
    for (int i = 1; i < ops.size(); i++) {
      Op op = ops.get(i);
      if (op instanceof Op.Conv2d c) {
        set(net, c.name(), "W", effectiveWeights(model, c.name()));
      } else if (op instanceof Op.BatchNorm bn) {
        set(net, bn.name(), "gamma", value(model, bn.name() + ".weight"));
        set(net, bn.name(), "beta", value(model, bn.name() + ".bias"));
        set(net, bn.name(), "mean", value(model, bn.name() + ".running_mean"));
        set(net, bn.name(), "var", value(model, bn.name() + ".running_var"));
      } else if (op instanceof Op.Linear l) {
        float[] w = effectiveWeights(model, l.name()); // [out, in]
        int out = l.outFeatures();
        int inF = w.length / out;
        float[] t = new float[w.length];
        for (int o = 0; o < out; o++) {
          for (int j = 0; j < inF; j++) {
            t[j * out + o] = w[o * inF + j];
          }
        }
        set(net, l.name(), "W", t);
        set(net, l.name(), "b", value(model, l.name() + ".bias"));
      }
    }
    return net;
  }

  /** Writes {@link #toComputationGraph} to {@code file} with DL4J's ModelSerializer (no updater state). */
  public static void write(Model model, boolean floatActivations, Path file) {
    ComputationGraph net = toComputationGraph(model, floatActivations);
    try {
      ModelSerializer.writeModel(net, file.toFile(), false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write DL4J model " + file + ": " + e.getMessage(), e);
    }
  }

  private static Activation dl4jActivation(Model model, Op.Activation a, boolean floatActivations) {
    ActivationSpec spec = model.activationSpec(a.name());
    return switch (spec.kind()) {
      case RELU -> Activation.RELU;
      case RELU6 -> Activation.RELU6;
      case RELU6_QUANT -> {
        if (!floatActivations) {
          throw new IllegalArgumentException("activation '" + a.name() + "' is quantized (" + spec + "), which DL4J "
              + "has no layer for; export it as float ReLU6 explicitly (float activations)");
        }
        yield Activation.RELU6;
      }
      case PACT_QUANT -> throw new IllegalArgumentException("activation '" + a.name() + "' is PACT-quantized ("
          + spec + "), which has no DL4J layer; export a model with activations above 3 bits or in float");
    };
  }

  private static float[] effectiveWeights(Model model, String layer) {
    float[] w = new float[model.parameters().get(layer + ".weight").size()];
    model.weightSource(layer).weights(w);
    return w;
  }

  private static float[] value(Model model, String name) {
    return model.parameters().get(name).value().clone();
  }

  private static void set(ComputationGraph net, String layer, String param, float[] v) {
    INDArray p = net.getLayer(layer).getParam(param);
    if (p.length() != v.length) {
      throw new IllegalStateException("DL4J parameter " + layer + "/" + param + " has " + p.length()
          + " elements, ours " + v.length);
    }
    p.assign(Nd4j.create(v, p.shape(), 'c').castTo(p.dataType()));
  }

  private static float[] flat(INDArray a) {
    if (a == null) {
      throw new IllegalArgumentException("DL4J layer lacks a parameter");
    }
    return a.castTo(DataType.FLOAT).dup('c').reshape(a.length()).toFloatVector();
  }

  private static boolean plainRelu(ActivationReLU r) {
    return (r.getMax() == null) && (r.getThreshold() == null || r.getThreshold() == 0)
        && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0);
  }

  private static boolean allZero(float[] v) {
    for (float x : v) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static float[] filled(int n, float v) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  private static String describe(Object o) {
    return o == null ? "none" : o.getClass().getSimpleName();
  }
}
