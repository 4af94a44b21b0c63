package org.bsq.core.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.TreeSet;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.param.ParameterStore;
import org.junit.jupiter.api.Test;

/**
 * Straight-through semantics of the quantized activations inside a network: input -> 1x1 conv "c" -> activation "act"
 * -> average pool -> linear "fc". The loss is linear in the activation output, so the expected gradients follow by
 * hand from the conv output z alone.
 */
class ActivationSteTest {
  private static final int N = 3;
  private static final int C_IN = 2;
  private static final int C = 3;
  private static final int HW = 9;
  private static final int CLASSES = 2;

  private final ReferenceBackend backend = new ReferenceBackend(2);

  private static Model net(ActivationSpec spec) {
    GraphBuilder b = new GraphBuilder("ste", C_IN, 3, 3);
    int x = b.conv("c", b.input(), C, 1, 1, 0);
    x = b.activation("act", x, spec);
    b.linear("fc", b.globalAvgPool(x), CLASSES);
    Model model = TinyNets.randomModel(b.build(), 77);
    float[] w = model.parameters().get("c.weight").value();
    for (int i = 0; i < w.length; i++) {
      w[i] *= 5f; // spread z over [-10, 10] so that ReLU6's upper clip and PACT's alpha are reached
    }
    if (spec.hasAlpha()) {
      model.parameters().get("act.alpha").value()[0] = 1.5f;
    }
    return model;
  }

  private record Pass(float[] z, float[] y, float[] logits, float[] dConv, float[] dFc, float dAlpha) {}

  private Pass run(Model model, float[] x, float[] dLogits) {
    ParameterStore ps = model.parameters();
    ps.zeroGradients();
    try (CompiledNetwork net = backend.compile(model, N)) {
      float[] logits = net.forward(x, true).clone();
      float[] z = ((ReferenceNetwork) net).output(1);
      float[] y = ((ReferenceNetwork) net).output(2);
      net.backward(dLogits);
      float dAlpha = ps.contains("act.alpha") ? ps.get("act.alpha").grad()[0] : 0f;
      return new Pass(z, y, logits, ps.get("c.weight").grad().clone(), ps.get("fc.weight").grad().clone(), dAlpha);
    }
  }

  private static float[] randomGradient(long seed) {
    Random r = new Random(seed);
    float[] g = new float[N * CLASSES];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) r.nextGaussian();
    }
    return g;
  }

  /** dL/dy for y = the activation output, through average pool and fc (y's value does not enter). */
  private static double[] gradY(Model model, float[] dLogits) {
    float[] w = model.parameters().get("fc.weight").value();
    double[] g = new double[N * C * HW];
    for (int n = 0; n < N; n++) {
      for (int c = 0; c < C; c++) {
        double sum = 0;
        for (int f = 0; f < CLASSES; f++) {
          sum += (double) dLogits[n * CLASSES + f] * w[f * C + c];
        }
        for (int j = 0; j < HW; j++) {
          g[(n * C + c) * HW + j] = sum / HW;
        }
      }
    }
    return g;
  }

  private static double[] expectedConvGradient(float[] x, double[] dz) {
    double[] dw = new double[C * C_IN];
    for (int n = 0; n < N; n++) {
      for (int o = 0; o < C; o++) {
        for (int i = 0; i < C_IN; i++) {
          for (int j = 0; j < HW; j++) {
            dw[o * C_IN + i] += dz[(n * C + o) * HW + j] * x[(n * C_IN + i) * HW + j];
          }
        }
      }
    }
    return dw;
  }

  private static void assertClose(double[] expected, float[] actual, String what) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5 * Math.max(1, Math.abs(expected[i])), what + "[" + i + "]");
    }
  }

  /** Checks that y takes at most 2^bits levels, all multiples of S / (2^bits - 1), S = max y over the whole batch. */
  private static void assertQuantized(float[] y, float[] clipped, int bits) {
    float s = 0;
    for (float v : clipped) {
      s = Math.max(s, v);
    }
    int step = (1 << bits) - 1;
    TreeSet<Float> levels = new TreeSet<>();
    for (int i = 0; i < y.length; i++) {
      levels.add(y[i]);
      double level = y[i] / (double) s * step;
      assertEquals(Math.rint(level), level, 1e-4, "y[" + i + "] must be a multiple of S/step");
      assertEquals(clipped[i], y[i], s / step / 2 * 1.0001, "y[" + i + "] must be the nearest level");
    }
    assertTrue(levels.size() <= step + 1, "levels " + levels);
    assertTrue(levels.size() > 2, "test data must use several levels, was " + levels);
  }

  @Test
  void relu6QuantizerIsStraightThroughAndMasksOutsideZeroToSix() {
    float[] x = TinyNets.input(net(ActivationSpec.relu6()), N, 5);
    float[] dLogits = randomGradient(6);
    Model plain = net(ActivationSpec.relu6());
    Model quant = net(new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 3));
    Pass p = run(plain, x, dLogits);
    Pass q = run(quant, x, dLogits);

    int above = 0;
    int below = 0;
    float[] clipped = new float[p.z().length];
    for (int i = 0; i < clipped.length; i++) {
      clipped[i] = Math.min(Math.max(p.z()[i], 0f), 6f);
      above += p.z()[i] > 6f ? 1 : 0;
      below += p.z()[i] < 0f ? 1 : 0;
    }
    assertTrue(above > 0 && below > 0, "test data must reach both clips");
    assertArrayEquals(clipped, p.y(), 0f);
    assertQuantized(q.y(), clipped, 3);
    assertFalse(java.util.Arrays.equals(p.logits(), q.logits()), "quantization must change the forward pass");
    // Straight-through: dL/dz is identical with and without the quantizer (fc's gradient sees y and differs).
    assertArrayEquals(p.dConv(), q.dConv(), 0f);
    assertFalse(java.util.Arrays.equals(p.dFc(), q.dFc()));

    double[] gy = gradY(quant, dLogits);
    double[] dz = new double[gy.length];
    for (int i = 0; i < dz.length; i++) {
      float z = q.z()[i];
      dz[i] = z > 0f && z < 6f ? gy[i] : 0.0;
    }
    assertClose(expectedConvGradient(x, dz), q.dConv(), "conv weight gradient");
  }

  @Test
  void pactQuantizerIsStraightThroughWithAlphaGradient() {
    Model model = net(new ActivationSpec(ActivationSpec.Kind.PACT_QUANT, 2));
    float[] x = TinyNets.input(model, N, 15);
    float[] dLogits = randomGradient(16);
    Pass q = run(model, x, dLogits);
    float alpha = 1.5f;

    double[] gy = gradY(model, dLogits);
    double[] dz = new double[gy.length];
    double dAlpha = 0;
    int clippedHigh = 0;
    float[] clipped = new float[gy.length];
    for (int i = 0; i < dz.length; i++) {
      float z = q.z()[i];
      clipped[i] = Math.min(Math.max(z, 0f), alpha);
      dz[i] = z < 0f || z > alpha ? 0.0 : gy[i];
      if (z >= alpha) {
        dAlpha += gy[i];
        clippedHigh++;
      }
    }
    assertTrue(clippedHigh > 0, "test data must reach alpha");
    assertQuantized(q.y(), clipped, 2);
    assertClose(expectedConvGradient(x, dz), q.dConv(), "conv weight gradient");
    assertEquals(dAlpha, q.dAlpha(), 1e-5 * Math.max(1, Math.abs(dAlpha)), "alpha gradient");
  }

  @Test
  void quantizationScaleIsSharedByTheWholeBatch() {
    Model model = net(new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 2));
    float[] x = TinyNets.input(model, N, 25);
    for (int i = 0; i < C_IN * HW; i++) {
      x[i] *= 0.1f; // sample 0 stays below ReLU6's clip, the others reach it
    }
    float[] y;
    try (CompiledNetwork net = backend.compile(model, N)) {
      net.forward(x, false);
      y = ((ReferenceNetwork) net).output(2);
    }
    float[] first = java.util.Arrays.copyOf(x, C_IN * HW);
    float[] alone;
    try (CompiledNetwork net = backend.compile(model, 1)) {
      net.forward(first, false);
      alone = ((ReferenceNetwork) net).output(2);
    }
    float maxBatch = 0;
    float maxAlone = 0;
    for (int i = 0; i < y.length; i++) {
      maxBatch = Math.max(maxBatch, y[i]);
    }
    for (float v : alone) {
      maxAlone = Math.max(maxAlone, v);
    }
    assertTrue(maxAlone < maxBatch, "sample 0 alone must have a smaller scale in this data");
    assertFalse(java.util.Arrays.equals(alone, java.util.Arrays.copyOf(y, alone.length)),
        "the first sample's activations depend on the batch it is in");
  }
}
