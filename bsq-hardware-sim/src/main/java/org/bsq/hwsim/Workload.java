package org.bsq.hwsim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;

/**
 * A network to price: its layers in execution order with their bit-widths. Immutable.
 *
 * @param name workload name (model and scheme)
 * @param layers layers in order; names are unique
 */
public record Workload(String name, List<WorkloadLayer> layers) {
  /** Default bit-width of the network input (8-bit images, as in BitFusion's benchmarks). */
  public static final int DEFAULT_INPUT_BITS = 8;
  /** Bits of the last layer's output (logits are kept at accumulator precision). */
  public static final int LOGIT_BITS = 32;

  public Workload {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("workload name must be non-blank, was '" + name + "'");
    }
    if (layers == null || layers.isEmpty()) {
      throw new IllegalArgumentException("workload " + name + " must have >= 1 layer, was " + layers);
    }
    layers = List.copyOf(layers);
    Set<String> seen = new HashSet<>();
    for (WorkloadLayer l : layers) {
      if (!seen.add(l.name())) {
        throw new IllegalArgumentException("workload " + name + ": layer names must be unique, was '" + l.name()
            + "' twice");
      }
    }
  }

  public int size() { return layers.size(); }

  public WorkloadLayer layer(int i) { return layers.get(i); }

  /** Total MACs of the batch. */
  public long macs() {
    return layers.stream().mapToLong(WorkloadLayer::macs).sum();
  }

  /**
   * Builds a workload from a layer inventory and per-layer bits (the form a quantization scheme takes). Each layer's
   * input bits come from {@code activationBits}; the first layer ({@code index 0}, fed by the image) is marked as the
   * im2col layer. A layer's stored output bits are the next layer's input bits (model order), the last layer's are
   * {@link #LOGIT_BITS}.
   *
   * @param inventory the model's weight layers
   * @param batch batch size
   * @param weightBits bits per layer name (every layer must be present)
   * @param activationBits input-activation bits per layer name (every layer must be present)
   */
  public static Workload fromInventory(LayerInventory inventory, int batch, Map<String, Integer> weightBits,
                                       Map<String, Integer> activationBits) {
    requireAll(inventory, weightBits, "weightBits");
    requireAll(inventory, activationBits, "activationBits");
    List<WorkloadLayer> out = new ArrayList<>();
    List<LayerInfo> infos = inventory.layers();
    for (int i = 0; i < infos.size(); i++) {
      LayerInfo l = infos.get(i);
      int w = weightBits.get(l.name());
      int a = activationBits.get(l.name());
      int o = i + 1 < infos.size() ? Math.max(1, activationBits.get(infos.get(i + 1).name())) : LOGIT_BITS;
      out.add(layer(l, batch, w, a, o, i == 0));
    }
    return new Workload(inventory.model(), out);
  }

  /**
   * Uniform precision: every layer gets {@code weightBits}, every layer's input {@code activationBits} except the
   * first layer's, which reads the {@code inputBits}-bit image.
   */
  public static Workload uniform(LayerInventory inventory, int batch, int weightBits, int activationBits,
                                 int inputBits) {
    Map<String, Integer> w = new java.util.LinkedHashMap<>();
    Map<String, Integer> a = new java.util.LinkedHashMap<>();
    for (LayerInfo l : inventory) {
      w.put(l.name(), weightBits);
      a.put(l.name(), l.index() == 0 ? inputBits : activationBits);
    }
    Workload base = fromInventory(inventory, batch, w, a);
    return new Workload(inventory.model() + " w" + weightBits + "a" + activationBits, base.layers());
  }

  private static void requireAll(LayerInventory inventory, Map<String, Integer> bits, String what) {
    if (bits == null) {
      throw new IllegalArgumentException(what + " must be given, was null");
    }
    TreeSet<String> missing = new TreeSet<>();
    for (LayerInfo l : inventory) {
      if (!bits.containsKey(l.name())) {
        missing.add(l.name());
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(what + " must name every layer of " + inventory.model() + ", was missing "
          + missing);
    }
    TreeSet<String> unknown = new TreeSet<>(bits.keySet());
    inventory.forEach(l -> unknown.remove(l.name()));
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(what + " must name only layers of " + inventory.model() + ", was unknown "
          + unknown);
    }
  }

  private static WorkloadLayer layer(LayerInfo l, int batch, int w, int a, int o, boolean first) {
    if (l.kind() == LayerInfo.Kind.LINEAR) {
      return WorkloadLayer.fc(l.name(), batch, l.weightShape().get(1), l.weightShape().get(0), w, a, o);
    }
    int in = l.input().channels();
    int outC = l.output().channels();
    int weightIn = l.weightShape().get(1);
    int groups = in / weightIn;
    LayerKind kind = groups == 1 ? LayerKind.CONV : groups == in ? LayerKind.DEPTHWISE : LayerKind.GROUPED;
    return new WorkloadLayer(l.name(), kind, batch, in, outC, l.input().height(), l.input().width(),
        l.output().height(), l.output().width(), l.kernel(), l.stride(), groups, w, a, o, first, null);
  }

  /**
   * The same network with other bits: {@code weightBits[i]} and {@code inputBits[i]} for layer i; each layer's output
   * bits follow the next layer's input bits (the last layer keeps its own).
   */
  public Workload withBits(int[] weightBits, int[] inputBits) {
    if (weightBits.length != layers.size() || inputBits.length != layers.size()) {
      throw new IllegalArgumentException("bit arrays must have one entry per layer (" + layers.size() + "), was "
          + weightBits.length + " and " + inputBits.length);
    }
    List<WorkloadLayer> out = new ArrayList<>(layers.size());
    for (int i = 0; i < layers.size(); i++) {
      WorkloadLayer l = layers.get(i);
      int o = i + 1 < layers.size() ? Math.max(1, inputBits[i + 1]) : l.outputBits();
      out.add(l.withBits(weightBits[i], inputBits[i], o));
    }
    return new Workload(name, out);
  }

  /** The same network with every layer's batch replaced. */
  public Workload withBatch(int batch) {
    return new Workload(name, layers.stream().map(l -> l.withBatch(batch)).toList());
  }

  /** Weight bits per layer, in order. */
  public int[] weightBits() {
    return layers.stream().mapToInt(WorkloadLayer::weightBits).toArray();
  }

  /** Input-activation bits per layer, in order. */
  public int[] inputBits() {
    return layers.stream().mapToInt(WorkloadLayer::inputBits).toArray();
  }
}
