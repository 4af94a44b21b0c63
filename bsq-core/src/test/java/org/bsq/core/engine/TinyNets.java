package org.bsq.core.engine;

import java.util.Random;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.graph.Shape;
import org.bsq.core.param.Parameter;

/**
 * Tiny seeded networks for backend tests (reference gradient checks and backend-vs-reference comparisons).
 *
 * <p>{@link #residual(long)} is a 3x8x8 -> 5-class ResNet-like net that uses every op and every activation kind:
 * <pre>
 *   input 3x8x8
 *   stem:   conv "conv1" 3->4 k3 s1 p1, bn "bn1", RELU "act1"                       (4x8x8)
 *   block1: conv "b1.conv1" 4->6 k3 s2 p1, bn "b1.bn1", PACT_QUANT(3b) "b1.act1",
 *           conv "b1.conv2" 6->6 k3 s1 p1, bn "b1.bn2";
 *           projection conv "b1.down" 4->6 k1 s2 p0, bn "b1.downbn";
 *           add, RELU6_QUANT(4b) "b1.act2"                                           (6x4x4)
 *   block2: conv "b2.conv1" 6->6 k3 s1 p1, bn "b2.bn1", RELU6 "b2.act1",
 *           conv "b2.conv2" 6->6 k3 s1 p1, bn "b2.bn2"; identity shortcut; add, RELU6 "b2.act2"
 *   head:   global average pool, linear "fc" 6->5
 * </pre>
 * {@link #residualFloat(long)} is the same topology with RELU6 in place of the quantized activations (smooth enough
 * for finite differences). Parameters come from {@link #randomize(Model, long)}.
 */
public final class TinyNets {
  /** Number of classes of the tiny residual nets. */
  public static final int CLASSES = 5;

  private TinyNets() {}

  /** The tiny residual net with every activation kind (PACT 3 bits, ReLU6 + 4-bit quantizer, ReLU, ReLU6). */
  public static Model residual(long seed) {
    return randomModel(residualGraph(new ActivationSpec(ActivationSpec.Kind.PACT_QUANT, 3),
        new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 4)), seed);
  }

  /** The tiny residual net without quantizers (RELU, RELU6 only). */
  public static Model residualFloat(long seed) {
    return randomModel(residualGraph(ActivationSpec.relu6(), ActivationSpec.relu6()), seed);
  }

  /** The residual topology with the given block-1 activations (after b1.bn1 and after the block-1 add). */
  public static Graph residualGraph(ActivationSpec block1Mid, ActivationSpec block1Out) {
    GraphBuilder b = new GraphBuilder("tiny-residual", 3, 8, 8);
    int x = b.conv("conv1", b.input(), 4, 3, 1, 1);
    x = b.activation("act1", b.batchNorm("bn1", x), ActivationSpec.relu());
    int y = b.conv("b1.conv1", x, 6, 3, 2, 1);
    y = b.activation("b1.act1", b.batchNorm("b1.bn1", y), block1Mid);
    y = b.batchNorm("b1.bn2", b.conv("b1.conv2", y, 6, 3, 1, 1));
    int shortcut = b.batchNorm("b1.downbn", b.conv("b1.down", x, 6, 1, 2, 0));
    x = b.activation("b1.act2", b.add(y, shortcut), block1Out);
    y = b.conv("b2.conv1", x, 6, 3, 1, 1);
    y = b.activation("b2.act1", b.batchNorm("b2.bn1", y), ActivationSpec.relu6());
    y = b.batchNorm("b2.bn2", b.conv("b2.conv2", y, 6, 3, 1, 1));
    x = b.activation("b2.act2", b.add(y, x), ActivationSpec.relu6());
    b.linear("fc", b.globalAvgPool(x), CLASSES);
    return b.build();
  }

  /**
   * A ResNet-8-like net with the CIFAR ResNets' naming on a 3x8x8 input: stem conv "conv1", bn "bn1", RELU "relu";
   * three stages of one BasicBlock each ({@code layerS.0.conv1/bn1/act1/conv2/bn2/act2}, widths 4, 6, 8, stride 2 in
   * stages 2 and 3 with projection shortcuts {@code layerS.0.downsample.0/1}), {@code blockAct} after bn1 and after
   * the add of every block; global average pool and linear "fc".
   */
  public static Graph resnetLikeGraph(ActivationSpec blockAct) {
    GraphBuilder b = new GraphBuilder("tiny-resnet", 3, 8, 8);
    int x = b.activation("relu", b.batchNorm("bn1", b.conv("conv1", b.input(), 4, 3, 1, 1)), ActivationSpec.relu());
    int channels = 4;
    int[] widths = {4, 6, 8};
    for (int stage = 0; stage < 3; stage++) {
      int stride = stage > 0 ? 2 : 1;
      String p = "layer" + (stage + 1) + ".0";
      int y = b.conv(p + ".conv1", x, widths[stage], 3, stride, 1);
      y = b.activation(p + ".act1", b.batchNorm(p + ".bn1", y), blockAct);
      y = b.batchNorm(p + ".bn2", b.conv(p + ".conv2", y, widths[stage], 3, 1, 1));
      int shortcut = x;
      if (stride != 1 || channels != widths[stage]) {
        shortcut = b.batchNorm(p + ".downsample.1", b.conv(p + ".downsample.0", x, widths[stage], 1, stride, 0));
      }
      x = b.activation(p + ".act2", b.add(y, shortcut), blockAct);
      channels = widths[stage];
    }
    b.linear("fc", b.globalAvgPool(x), CLASSES);
    return b.build();
  }

  /** A model of {@code graph} with freshly allocated parameters filled by {@link #randomize(Model, long)}. */
  public static Model randomModel(Graph graph, long seed) {
    Model model = Model.withZeroParameters(graph);
    randomize(model, seed);
    return model;
  }

  /**
   * Fills every parameter from {@code seed}: conv/linear weights normal with He scale {@code sqrt(2 / fanIn)}, linear
   * biases uniform in [-0.1, 0.1], BN gamma uniform in [0.5, 1.5], beta in [-0.2, 0.2], running mean in [-0.2, 0.2],
   * running variance in [0.5, 1.5] (positive), PACT alpha uniform in [1.0, 2.0] (small enough that some activations
   * clip, so the alpha gradient is not zero).
   */
  public static void randomize(Model model, long seed) {
    Random r = new Random(seed);
    for (Parameter p : model.parameters().all()) {
      float[] v = p.value();
      String name = p.name();
      int[] shape = p.shape();
      switch (p.role()) {
        case WEIGHT -> {
          int fanIn = 1;
          for (int d = 1; d < shape.length; d++) {
            fanIn *= shape[d];
          }
          double std = Math.sqrt(2.0 / fanIn);
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * std);
          }
        }
        case BIAS -> fill(v, r, -0.1, 0.1);
        case BN_WEIGHT -> fill(v, r, 0.5, 1.5);
        case BN_BIAS -> fill(v, r, -0.2, 0.2);
        case BN_RUNNING_STAT -> {
          if (name.endsWith(".running_var")) {
            fill(v, r, 0.5, 1.5);
          } else {
            fill(v, r, -0.2, 0.2);
          }
        }
        case ACTIVATION_CLIP -> fill(v, r, 1.0, 2.0);
        default -> throw new IllegalArgumentException("parameter role is not handled by TinyNets, was " + p.role());
      }
    }
  }

  /** Seeded standard-normal input for {@code batch} samples of the model's input shape (NCHW). */
  public static float[] input(Model model, int batch, long seed) {
    Shape s = model.graph().inputShape();
    Random r = new Random(seed);
    float[] x = new float[batch * s.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  /** Seeded labels in [0, classes) for {@code batch} samples. */
  public static int[] labels(Model model, int batch, long seed) {
    Random r = new Random(seed);
    int[] labels = new int[batch];
    for (int i = 0; i < batch; i++) {
      labels[i] = r.nextInt(model.graph().numClasses());
    }
    return labels;
  }

  private static void fill(float[] v, Random r, double lo, double hi) {
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (lo + (hi - lo) * r.nextDouble());
    }
  }
}
