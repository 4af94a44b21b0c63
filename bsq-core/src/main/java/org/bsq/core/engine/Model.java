package org.bsq.core.engine;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.Op;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;

/**
 * A graph with its parameters and the weight source of each conv and linear layer. Compiled networks of any batch
 * size share one model, so training and evaluation see the same parameters.
 */
public final class Model {
  private final Graph graph;
  private final ParameterStore parameters;
  private final Map<String, WeightSource> weightSources = new HashMap<>();
  private final Map<String, ActivationSpec> activationSpecs = new HashMap<>();
  /** The graph's activation nodes by name (read on every forward pass through {@link #activationSpec}). */
  private final Map<String, Op.Activation> activationOps = new HashMap<>();

  /**
   * Wraps a graph and a store that holds every parameter the graph declares, with the declared shapes.
   *
   * @throws IllegalArgumentException naming the first missing or mis-shaped parameter
   */
  public Model(Graph graph, ParameterStore parameters) {
    this.graph = graph;
    this.parameters = parameters;
    for (Op op : graph.ops()) {
      if (op instanceof Op.Activation a) {
        activationOps.put(a.name(), a);
      }
    }
    graph.parameterShapes().forEach((name, shape) -> {
      if (!parameters.contains(name)) {
        throw new IllegalArgumentException("model '" + graph.name() + "' needs parameter '" + name + "', missing");
      }
      if (!parameters.get(name).hasSameShape(shape)) {
        throw new IllegalArgumentException("parameter '" + name + "' must have shape " + java.util.Arrays.toString(shape)
            + ", was " + java.util.Arrays.toString(parameters.get(name).shape()));
      }
    });
  }

  /** A model whose store holds freshly allocated, zero parameters with the roles the graph implies. */
  public static Model withZeroParameters(Graph graph) {
    return new Model(graph, allocate(graph));
  }

  /** Allocates every parameter of a graph (zeros), with its role. */
  public static ParameterStore allocate(Graph graph) {
    ParameterStore store = new ParameterStore();
    graph.parameterShapes().forEach((name, shape) -> store.add(new Parameter(name, shape, roleOf(graph, name))));
    return store;
  }

  static ParameterRole roleOf(Graph graph, String name) {
    int dot = name.lastIndexOf('.');
    String layer = name.substring(0, dot);
    String suffix = name.substring(dot + 1);
    for (Op op : graph.ops()) {
      if (op instanceof Op.BatchNorm bn && bn.name().equals(layer)) {
        return switch (suffix) {
          case "weight" -> ParameterRole.BN_WEIGHT;
          case "bias" -> ParameterRole.BN_BIAS;
          default -> ParameterRole.BN_RUNNING_STAT;
        };
      }
      if (op instanceof Op.Activation a && a.name().equals(layer)) {
        return ParameterRole.ACTIVATION_CLIP;
      }
    }
    return "bias".equals(suffix) ? ParameterRole.BIAS : ParameterRole.WEIGHT;
  }

  public Graph graph() { return graph; }

  public ParameterStore parameters() { return parameters; }

  /** The weight source of a conv or linear layer: a bound one, else the layer's float weight parameter. */
  public WeightSource weightSource(String layer) {
    WeightSource s = weightSources.get(layer);
    return s != null ? s : new ParameterWeightSource(parameters.get(layer + ".weight"));
  }

  /** Binds a weight source to a conv or linear layer (replacing any earlier one). */
  public void setWeightSource(String layer, WeightSource source) {
    if (!hasWeightLayer(layer)) {
      TreeSet<String> known = new TreeSet<>();
      for (Op op : graph.ops()) {
        if (op instanceof Op.Conv2d c) known.add(c.name());
        if (op instanceof Op.Linear l) known.add(l.name());
      }
      throw new IllegalArgumentException("unknown weight layer '" + layer + "'; known: " + known);
    }
    weightSources.put(layer, source);
  }

  /** Restores the layer's default source (its float weight parameter). */
  public void clearWeightSource(String layer) { weightSources.remove(layer); }

  /** The layers with a bound weight source and their sources (a copy; layers not listed use their float weights). */
  public Map<String, WeightSource> weightSourceBindings() { return Map.copyOf(weightSources); }

  /**
   * What activation node {@code node} computes now: the spec set with {@link #setActivationSpec}, else the graph's.
   * Backends read it on every forward pass, so changing it needs no recompilation.
   */
  public ActivationSpec activationSpec(String node) {
    ActivationSpec s = activationSpecs.get(node);
    return s != null ? s : activationOp(node).spec();
  }

  /**
   * Makes activation node {@code node} compute {@code spec} (e.g. another number of quantization bits) from the next
   * forward pass on. A PACT spec needs the clip parameter {@code <node>.alpha}: it is added (initialised to
   * {@link ActivationSpec#PACT_ALPHA_INIT}) when the store lacks it. The node's graph spec and {@code spec} must both be
   * of the ReLU6 family (ReLU6, ReLU6 + quantizer, PACT): plain ReLU nodes keep their function.
   */
  public void setActivationSpec(String node, ActivationSpec spec) {
    Op.Activation op = activationOp(node);
    if (op.spec().kind() == ActivationSpec.Kind.RELU || spec.kind() == ActivationSpec.Kind.RELU) {
      throw new IllegalArgumentException("activation node '" + node + "' computes " + op.spec()
          + "; only ReLU6-family nodes (relu6, relu6_quant, pact_quant) can change their spec, was asked for " + spec);
    }
    if (spec.hasAlpha() && !parameters.contains(node + ".alpha")) {
      Parameter alpha = new Parameter(node + ".alpha", new int[] {1}, ParameterRole.ACTIVATION_CLIP);
      alpha.value()[0] = ActivationSpec.PACT_ALPHA_INIT;
      parameters.add(alpha);
    }
    if (spec.equals(op.spec())) {
      activationSpecs.remove(node);
    } else {
      activationSpecs.put(node, spec);
    }
  }

  /** Every activation node back to its graph spec (added PACT clip parameters stay in the store). */
  public void clearActivationSpecs() { activationSpecs.clear(); }

  /** The activation nodes whose spec differs from the graph's, and their specs (a copy). */
  public Map<String, ActivationSpec> activationSpecOverrides() { return Map.copyOf(activationSpecs); }

  private Op.Activation activationOp(String node) {
    Op.Activation a = activationOps.get(node);
    if (a == null) {
      throw new IllegalArgumentException("unknown activation node '" + node + "'; known: "
          + new TreeSet<>(activationOps.keySet()));
    }
    return a;
  }

  private boolean hasWeightLayer(String layer) {
    for (Op op : graph.ops()) {
      if ((op instanceof Op.Conv2d c && c.name().equals(layer)) || (op instanceof Op.Linear l && l.name().equals(layer))) {
        return true;
      }
    }
    return false;
  }
}
