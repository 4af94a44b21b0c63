package org.bsq.core.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link Graph}, checking shapes and names as it goes. Methods return the new node's index.
 *
 * <pre>{@code
 * GraphBuilder b = new GraphBuilder("tiny", 1, 28, 28);
 * int x = b.conv("conv1", b.input(), 16, 3, 1, 1);
 * x = b.activation("relu1", b.batchNorm("bn1", x), ActivationSpec.relu());
 * Graph g = b.linear("fc", b.globalAvgPool(x), 10).build();  // build() after the last node
 * }</pre>
 */
public final class GraphBuilder {
  /** PyTorch's BatchNorm2d defaults. */
  public static final float BN_EPS = 1e-5f;
  public static final float BN_MOMENTUM = 0.1f;

  private final String name;
  private final List<Op> ops = new ArrayList<>();
  private final List<Shape> shapes = new ArrayList<>();
  private final Map<String, int[]> params = new LinkedHashMap<>();
  private int last = 0;

  public GraphBuilder(String name, int channels, int height, int width) {
    this.name = name;
    Shape s = new Shape(channels, height, width);
    ops.add(new Op.Input(channels, height, width));
    shapes.add(s);
  }

  public int input() { return 0; }

  public Shape shape(int node) { return shapes.get(checkNode(node)); }

  public int conv(String layer, int input, int outChannels, int kernel, int stride, int padding) {
    Shape in = shape(input);
    if (outChannels < 1 || kernel < 1 || stride < 1 || padding < 0) {
      throw new IllegalArgumentException("conv '" + layer + "' needs outChannels, kernel, stride >= 1 and padding >= 0,"
          + " was out=" + outChannels + " k=" + kernel + " s=" + stride + " p=" + padding);
    }
    int oh = (in.height() + 2 * padding - kernel) / stride + 1;
    int ow = (in.width() + 2 * padding - kernel) / stride + 1;
    if (oh < 1 || ow < 1) {
      throw new IllegalArgumentException("conv '" + layer + "' output would be empty for input " + in);
    }
    param(layer + ".weight", outChannels, in.channels(), kernel, kernel);
    return add(new Op.Conv2d(layer, input, outChannels, kernel, stride, padding), new Shape(outChannels, oh, ow));
  }

  public int batchNorm(String layer, int input) {
    Shape in = shape(input);
    param(layer + ".weight", in.channels());
    param(layer + ".bias", in.channels());
    param(layer + ".running_mean", in.channels());
    param(layer + ".running_var", in.channels());
    return add(new Op.BatchNorm(layer, input, BN_EPS, BN_MOMENTUM), in);
  }

  public int activation(String node, int input, ActivationSpec spec) {
    Shape in = shape(input);
    if (spec.hasAlpha()) {
      param(node + ".alpha", 1);
    }
    return add(new Op.Activation(node, input, spec), in);
  }

  public int add(int left, int right) {
    Shape a = shape(left);
    Shape b = shape(right);
    if (!a.equals(b)) {
      throw new IllegalArgumentException("add needs equal shapes, was " + a + " (node " + left + ") and " + b
          + " (node " + right + ")");
    }
    return add(new Op.Add(left, right), a);
  }

  public int globalAvgPool(int input) {
    return add(new Op.GlobalAvgPool(input), new Shape(shape(input).channels(), 1, 1));
  }

  public int linear(String layer, int input, int outFeatures) {
    if (outFeatures < 1) {
      throw new IllegalArgumentException("linear '" + layer + "' outFeatures must be >= 1, was " + outFeatures);
    }
    int in = shape(input).size();
    param(layer + ".weight", outFeatures, in);
    param(layer + ".bias", outFeatures);
    return add(new Op.Linear(layer, input, outFeatures), new Shape(outFeatures, 1, 1));
  }

  /** The graph; its output (logits) is the last node added. */
  public Graph build() {
    if (ops.size() < 2) {
      throw new IllegalStateException("graph '" + name + "' has no operations after its input");
    }
    return new Graph(name, ops, shapes, params);
  }

  private int add(Op op, Shape shape) {
    ops.add(op);
    shapes.add(shape);
    last = ops.size() - 1;
    return last;
  }

  private void param(String key, int... shape) {
    if (params.containsKey(key)) {
      throw new IllegalArgumentException("parameter '" + key + "' is defined twice; layer names must be unique");
    }
    params.put(key, shape);
  }

  private int checkNode(int node) {
    if (node < 0 || node >= ops.size()) {
      throw new IllegalArgumentException("node index must be in [0, " + (ops.size() - 1) + "], was " + node);
    }
    return node;
  }
}
