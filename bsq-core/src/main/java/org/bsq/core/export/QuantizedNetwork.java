package org.bsq.core.export;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.ParameterWeightSource;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.finetune.FixedPrecisionWeightSource;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.graph.Op;
import org.bsq.core.harness.Harness;
import org.bsq.core.param.Parameter;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;

/**
 * A model under a fixed quantization scheme, as the exports write it (decision 0016): the graph, the scheme, every
 * conv and linear layer's weights as integer levels and a scale ({@link LayerWeights}), what every activation node
 * computes (its {@link ActivationSpec} under the scheme, with PACT's clip level), and the float tensors the engine
 * reads besides (batch-norm parameters and running statistics, linear biases, PACT clip levels). Immutable.
 *
 * <p>{@link #of(Model, QuantizationScheme)} takes it from a model the way the engine's quantized evaluation
 * computes it (a finished run's model, {@code bsq eval --run}); {@link #installInto(Model)} puts it back into a fresh
 * model so that the engine computes bit for bit the same logits (the raw format's round trip).
 */
public final class QuantizedNetwork {
  private final Graph graph;
  private final QuantizationScheme scheme;
  private final Map<String, LayerWeights> layers;
  private final Map<String, ActivationSpec> activations;
  private final Map<String, float[]> tensors;

  private QuantizedNetwork(Graph graph, QuantizationScheme scheme, Map<String, LayerWeights> layers,
                           Map<String, ActivationSpec> activations, Map<String, float[]> tensors) {
    this.graph = graph;
    this.scheme = scheme;
    this.layers = layers;
    this.activations = activations;
    this.tensors = tensors;
  }

  /**
   * What {@code model} computes under {@code scheme}: the model must already be under the scheme (after
   * {@link Harness#installFixedScheme}, as a finished run's model is), so every quantized layer has a
   * {@link FixedPrecisionWeightSource} at the scheme's bits and every full-precision layer its float weights.
   *
   * @throws IllegalArgumentException naming the layer or node when the scheme does not fit the model or the model is
   *     not under it (e.g. BSQ's bit planes still bound, or other bits than the scheme's)
   */
  public static QuantizedNetwork of(Model model, QuantizationScheme scheme) {
    Graph graph = model.graph();
    LayerInventory inventory = LayerInventory.of(graph);
    scheme.checkAgainst(inventory);
    Map<String, LayerWeights> layers = new LinkedHashMap<>();
    for (LayerInfo l : inventory) {
      int[] shape = l.weightShape().stream().mapToInt(Integer::intValue).toArray();
      Optional<LayerPrecision> p = scheme.find(l.name());
      WeightSource source = model.weightSource(l.name());
      if (source instanceof FixedPrecisionWeightSource f) {
        if (p.isEmpty() || p.get().weightBits() != f.bits()) {
          throw new IllegalArgumentException("layer '" + l.name() + "' must compute the scheme's weight bits ("
              + p.map(x -> String.valueOf(x.weightBits())).orElse("none: not in the scheme") + "), was " + f.bits()
              + " bits in the model");
        }
        float[] u = model.parameters().get(FixedPrecisionWeightSource.weightName(l.name())).value();
        float s = model.parameters().get(FixedPrecisionWeightSource.scaleName(l.name())).value()[0];
        layers.put(l.name(), LayerWeights.quantized(l.name(), f.bits(), shape, LayerWeights.levelsOf(u, f.bits()), s));
      } else if (source instanceof ParameterWeightSource) {
        if (p.isPresent() && !p.get().weights().isFull()) {
          throw new IllegalArgumentException("layer '" + l.name() + "' has " + p.get().weightBits() + " weight bits "
              + "in the scheme but float weights in the model: put the model under the scheme first (a finished "
              + "run's model is)");
        }
        layers.put(l.name(), LayerWeights.full(l.name(), shape, model.parameters().get(l.name() + ".weight").value()));
      } else {
        throw new IllegalArgumentException("layer '" + l.name() + "' must take its weights from a fixed precision or "
            + "its float tensor to be exported, was " + source.getClass().getSimpleName() + " (a strategy's own "
            + "representation, e.g. BSQ's bit planes: export a finished run's model)");
      }
    }
    Map<String, ActivationSpec> activations = new LinkedHashMap<>();
    Map<String, float[]> tensors = new LinkedHashMap<>();
    for (Op op : graph.ops()) {
      if (op instanceof Op.Activation a) {
        ActivationSpec spec = model.activationSpec(a.name());
        activations.put(a.name(), spec);
        if (spec.hasAlpha()) {
          tensors.put(a.name() + ".alpha", model.parameters().get(a.name() + ".alpha").value().clone());
        }
      }
    }
    for (String name : floatTensorShapes(graph).keySet()) {
      if (!name.endsWith(".alpha")) {
        tensors.put(name, model.parameters().get(name).value().clone());
      }
    }
    return of(graph, scheme, layers, activations, tensors);
  }

  /**
   * A network from its parts (the raw format's reader), checked against the graph: every weight layer with the
   * weight shape, every activation node with a spec its graph node can compute, every float tensor with its shape.
   *
   * @throws IllegalArgumentException naming the first part that does not fit
   */
  public static QuantizedNetwork of(Graph graph, QuantizationScheme scheme, Map<String, LayerWeights> layers,
                                    Map<String, ActivationSpec> activations, Map<String, float[]> tensors) {
    LayerInventory inventory = LayerInventory.of(graph);
    scheme.checkAgainst(inventory);
    Map<String, LayerWeights> l = new LinkedHashMap<>();
    for (LayerInfo info : inventory) {
      LayerWeights w = layers.get(info.name());
      if (w == null) {
        throw new IllegalArgumentException("weights of layer '" + info.name() + "' of model '" + graph.name()
            + "' must be given, were missing");
      }
      int[] shape = info.weightShape().stream().mapToInt(Integer::intValue).toArray();
      if (!Arrays.equals(shape, w.shape())) {
        throw new IllegalArgumentException("weight shape of layer '" + info.name() + "' must be "
            + Arrays.toString(shape) + ", was " + Arrays.toString(w.shape()));
      }
      Optional<LayerPrecision> p = scheme.find(info.name());
      int schemeBits = p.map(LayerPrecision::weightBits).orElse(32);
      if (schemeBits != w.bits()) {
        throw new IllegalArgumentException("weight bits of layer '" + info.name() + "' must be the scheme's "
            + schemeBits + ", was " + w.bits());
      }
      l.put(info.name(), w);
    }
    for (String name : layers.keySet()) {
      if (!l.containsKey(name)) {
        throw new IllegalArgumentException("weight layer '" + name + "' must be a layer of model '" + graph.name()
            + "', was unknown; known: " + new TreeSet<>(l.keySet()));
      }
    }
    Map<String, ActivationSpec> a = new LinkedHashMap<>();
    Map<String, int[]> shapes = floatTensorShapes(graph);
    for (Op op : graph.ops()) {
      if (op instanceof Op.Activation act) {
        ActivationSpec spec = activations.get(act.name());
        if (spec == null) {
          throw new IllegalArgumentException("activation node '" + act.name() + "' must have a spec, was missing");
        }
        boolean graphRelu = act.spec().kind() == ActivationSpec.Kind.RELU;
        if (graphRelu != (spec.kind() == ActivationSpec.Kind.RELU)) {
          throw new IllegalArgumentException("activation node '" + act.name() + "' computes " + act.spec()
              + " in the graph and cannot compute " + spec);
        }
        a.put(act.name(), spec);
        if (spec.hasAlpha()) {
          shapes.put(act.name() + ".alpha", new int[] {1});
        }
      }
    }
    for (String name : activations.keySet()) {
      if (!a.containsKey(name)) {
        throw new IllegalArgumentException("activation node '" + name + "' must be a node of model '" + graph.name()
            + "', was unknown; known: " + new TreeSet<>(a.keySet()));
      }
    }
    Map<String, float[]> t = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : shapes.entrySet()) {
      float[] v = tensors.get(e.getKey());
      if (v == null) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' must be given, was missing");
      }
      int n = Arrays.stream(e.getValue()).reduce(1, (x, y) -> x * y);
      if (v.length != n) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' must have " + n + " values (shape "
            + Arrays.toString(e.getValue()) + "), was " + v.length);
      }
      t.put(e.getKey(), v.clone());
    }
    for (String name : tensors.keySet()) {
      if (!t.containsKey(name)) {
        throw new IllegalArgumentException("tensor '" + name + "' must be one of model '" + graph.name()
            + "', was unknown; known: " + new TreeSet<>(t.keySet()));
      }
    }
    return new QuantizedNetwork(graph, scheme, Collections.unmodifiableMap(l), Collections.unmodifiableMap(a),
        Collections.unmodifiableMap(t));
  }

  /** The float tensors besides the weights (BN parameters and statistics, linear biases), with their shapes. */
  static Map<String, int[]> floatTensorShapes(Graph graph) {
    Map<String, int[]> all = graph.parameterShapes();
    Map<String, int[]> out = new LinkedHashMap<>();
    for (Op op : graph.ops()) {
      if (op instanceof Op.BatchNorm b) {
        for (String suffix : List.of(".weight", ".bias", ".running_mean", ".running_var")) {
          out.put(b.name() + suffix, all.get(b.name() + suffix));
        }
      } else if (op instanceof Op.Linear fc) {
        out.put(fc.name() + ".bias", all.get(fc.name() + ".bias"));
      }
    }
    return out;
  }

  /**
   * Puts this network into {@code model} (a model of the same graph, e.g. a fresh one with zero parameters): the
   * scheme is installed ({@link Harness#installFixedScheme}), then every quantized layer gets normalized weights
   * {@code k / (2^N - 1)} and its scale, every full-precision layer its floats, and the float tensors and PACT clip
   * levels their values. The engine then computes the same weights bit for bit.
   *
   * @throws IllegalArgumentException when the model's graph differs, or when the scheme installs activation specs
   *     other than this network's (a scheme that does not describe these activations)
   */
  public void installInto(Model model) {
    if (!model.graph().name().equals(graph.name()) || model.graph().size() != graph.size()) {
      throw new IllegalArgumentException("model must be of graph '" + graph.name() + "' (" + graph.size()
          + " ops), was '" + model.graph().name() + "' (" + model.graph().size() + " ops)");
    }
    Harness.installFixedScheme(model, scheme);
    for (LayerWeights w : layers.values()) {
      if (w.isFull()) {
        set(model, w.name() + ".weight", w.floats());
      } else {
        set(model, FixedPrecisionWeightSource.weightName(w.name()), w.normalizedWeights());
        set(model, FixedPrecisionWeightSource.scaleName(w.name()), new float[] {w.scale()});
      }
    }
    for (Map.Entry<String, ActivationSpec> e : activations.entrySet()) {
      ActivationSpec now = model.activationSpec(e.getKey());
      if (!now.equals(e.getValue())) {
        throw new IllegalArgumentException("activation node '" + e.getKey() + "' computes " + now + " under the "
            + "scheme, but the network says " + e.getValue());
      }
    }
    tensors.forEach((name, v) -> set(model, name, v));
  }

  private static void set(Model model, String name, float[] values) {
    Parameter p = model.parameters().get(name);
    if (p.size() != values.length) {
      throw new IllegalArgumentException("tensor '" + name + "' must have " + p.size() + " values, was "
          + values.length);
    }
    System.arraycopy(values, 0, p.value(), 0, values.length);
  }

  public Graph graph() { return graph; }

  public QuantizationScheme scheme() { return scheme; }

  /** Every conv and linear layer in model order. */
  public Map<String, LayerWeights> layers() { return layers; }

  public LayerWeights layer(String name) {
    LayerWeights w = layers.get(name);
    if (w == null) {
      throw new IllegalArgumentException("unknown layer '" + name + "'; known: " + new TreeSet<>(layers.keySet()));
    }
    return w;
  }

  /** Every activation node in graph order with what it computes. */
  public Map<String, ActivationSpec> activations() { return activations; }

  /** The names of the float tensors in model order. */
  public List<String> tensorNames() { return List.copyOf(tensors.keySet()); }

  /** A float tensor (a copy); its shape is the graph's ({@code [1]} for a PACT clip level). */
  public float[] tensor(String name) {
    float[] v = tensors.get(name);
    if (v == null) {
      throw new IllegalArgumentException("unknown tensor '" + name + "'; known: " + new TreeSet<>(tensors.keySet()));
    }
    return v.clone();
  }

  /** The shape of a float tensor. */
  public int[] tensorShape(String name) {
    if (name.endsWith(".alpha") && tensors.containsKey(name)) {
      return new int[] {1};
    }
    int[] s = graph.parameterShapes().get(name);
    if (s == null || !tensors.containsKey(name)) {
      throw new IllegalArgumentException("unknown tensor '" + name + "'; known: " + new TreeSet<>(tensors.keySet()));
    }
    return s;
  }

  /** PACT's clip level of an activation node computing {@code PACT_QUANT}. */
  public float alpha(String node) {
    return tensor(node + ".alpha")[0];
  }
}
