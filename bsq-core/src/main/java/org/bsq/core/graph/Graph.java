package org.bsq.core.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable network description: ops in topological order (node 0 is the {@link Op.Input}, the last node
 * produces the logits), with the per-sample output shape of every node. Backends compile a graph for a batch size.
 * Build one with {@link GraphBuilder}.
 */
public final class Graph {
  private final String name;
  private final List<Op> ops;
  private final List<Shape> shapes;
  private final Map<String, int[]> parameterShapes;

  Graph(String name, List<Op> ops, List<Shape> shapes, Map<String, int[]> parameterShapes) {
    this.name = name;
    this.ops = List.copyOf(ops);
    this.shapes = List.copyOf(shapes);
    this.parameterShapes = Collections.unmodifiableMap(new LinkedHashMap<>(parameterShapes));
  }

  public String name() { return name; }

  public List<Op> ops() { return ops; }

  public Op op(int node) { return ops.get(node); }

  public int size() { return ops.size(); }

  /** Output shape of a node (per sample). */
  public Shape shape(int node) { return shapes.get(node); }

  public Shape inputShape() { return shapes.get(0); }

  /** The output node (logits). */
  public int outputNode() { return ops.size() - 1; }

  public int numClasses() { return shapes.get(outputNode()).size(); }

  /**
   * Every parameter and buffer the graph needs, in model order, with its shape (state-dict names such as
   * {@code layer1.0.conv1.weight}). The returned arrays are copies.
   */
  public Map<String, int[]> parameterShapes() {
    Map<String, int[]> copy = new LinkedHashMap<>();
    parameterShapes.forEach((k, v) -> copy.put(k, v.clone()));
    return copy;
  }

  /** For each node, the nodes that consume its output. */
  public List<List<Integer>> consumers() {
    List<List<Integer>> out = new ArrayList<>();
    for (int i = 0; i < ops.size(); i++) {
      out.add(new ArrayList<>());
    }
    for (int i = 0; i < ops.size(); i++) {
      for (int in : ops.get(i).inputs()) {
        out.get(in).add(i);
      }
    }
    return out;
  }

  @Override
  public String toString() { return "Graph[" + name + ", " + ops.size() + " ops]"; }
}
