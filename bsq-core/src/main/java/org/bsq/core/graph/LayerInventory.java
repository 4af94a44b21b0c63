package org.bsq.core.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * Every weight layer of a graph in model order with its name, kind, shape, parameter count and MACs per sample.
 * Immutable.
 */
public final class LayerInventory implements Iterable<LayerInfo> {
  private final String model;
  private final List<LayerInfo> layers;

  public LayerInventory(String model, List<LayerInfo> layers) {
    this.model = model;
    this.layers = List.copyOf(layers);
  }

  /**
   * Reads the conv and linear layers of a graph. A conv is a projection shortcut when the graph's only consumer chain
   * from it reaches an {@link Op.Add} through at most a batch norm, and the other input of that add does not start at
   * the same node (i.e. it is the side branch of a residual block); in the reference ResNets these are the
   * {@code downsample.0} layers.
   */
  public static LayerInventory of(Graph graph) {
    List<LayerInfo> out = new ArrayList<>();
    List<List<Integer>> consumers = graph.consumers();
    for (int i = 0; i < graph.size(); i++) {
      Op op = graph.op(i);
      if (op instanceof Op.Conv2d c) {
        Shape in = graph.shape(c.input());
        Shape o = graph.shape(i);
        long weights = (long) c.outChannels() * in.channels() * c.kernel() * c.kernel();
        long macs = (long) o.size() * in.channels() * c.kernel() * c.kernel();
        out.add(new LayerInfo(out.size(), c.name(), LayerInfo.Kind.CONV,
            List.of(c.outChannels(), in.channels(), c.kernel(), c.kernel()), weights, 0, macs, in, o, c.kernel(),
            c.stride(), isShortcut(graph, consumers, i)));
      } else if (op instanceof Op.Linear l) {
        Shape in = graph.shape(l.input());
        long weights = (long) l.outFeatures() * in.size();
        out.add(new LayerInfo(out.size(), l.name(), LayerInfo.Kind.LINEAR, List.of(l.outFeatures(), in.size()), weights,
            l.outFeatures(), weights, in, graph.shape(i), 1, 1, false));
      }
    }
    return new LayerInventory(graph.name(), out);
  }

  private static boolean isShortcut(Graph graph, List<List<Integer>> consumers, int conv) {
    int node = conv;
    for (int hops = 0; hops < 2; hops++) {
      if (consumers.get(node).size() != 1) {
        return false;
      }
      int next = consumers.get(node).get(0);
      Op op = graph.op(next);
      if (op instanceof Op.Add add) {
        int other = add.left() == node ? add.right() : add.left();
        Op.Conv2d c = (Op.Conv2d) graph.op(conv);
        // The main branch of a block is a longer chain; the shortcut is the branch that consumes the block input
        // directly with a single conv (+BN) and whose input also feeds the other branch.
        return consumers.get(c.input()).size() > 1 && other != c.input();
      }
      if (!(op instanceof Op.BatchNorm)) {
        return false;
      }
      node = next;
    }
    return false;
  }

  public String model() { return model; }

  public List<LayerInfo> layers() { return layers; }

  public int size() { return layers.size(); }

  public LayerInfo get(int index) { return layers.get(index); }

  /** The layer with this name; the error lists the known names. */
  public LayerInfo get(String name) {
    for (LayerInfo l : layers) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    TreeSet<String> known = new TreeSet<>();
    layers.forEach(l -> known.add(l.name()));
    throw new IllegalArgumentException("unknown layer '" + name + "' in " + model + "; known: " + known);
  }

  public long totalWeights() {
    return layers.stream().mapToLong(LayerInfo::weightCount).sum();
  }

  public long totalParams() {
    return layers.stream().mapToLong(LayerInfo::paramCount).sum();
  }

  public long totalMacsPerSample() {
    return layers.stream().mapToLong(LayerInfo::macsPerSample).sum();
  }

  @Override
  public Iterator<LayerInfo> iterator() { return Collections.unmodifiableList(layers).iterator(); }
}
