package org.bsq.core.engine.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.param.Parameter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The oneDNN backend's ReLU6 + per-tensor quantizer (Java forward over a heap copy, oneDNN clip_v2 backward) against
 * the Java kernels, bit for bit: an identity 1x1 conv (which puts the activation into oneDNN's own, possibly blocked
 * and channel-padded layout), the quantized activation, a 1x1 average pool and an identity linear layer, so the logits
 * are exactly the quantized activations, and (batch 1) the conv's weight gradient is exactly
 * {@code mask(0 < x < 6) * g_o * x_i}.
 */
class Relu6QuantBitExactTest {
  private static final int C = 12;

  @BeforeAll
  static void requireOneDnn() {
    OneDnnBackendTest.requireOneDnn();
  }

  private static Model model(int bits) {
    GraphBuilder b = new GraphBuilder("quant-probe", C, 1, 1);
    int x = b.conv("conv", b.input(), C, 1, 1, 0);
    x = b.activation("act", x, ActivationSpec.quantized(bits));
    b.linear("fc", b.globalAvgPool(x), C);
    Model m = Model.withZeroParameters(b.build());
    for (Parameter p : m.parameters().all()) {
      if (p.name().equals("conv.weight") || p.name().equals("fc.weight")) {
        for (int i = 0; i < C; i++) {
          p.value()[i * C + i] = 1f;
        }
      }
    }
    return m;
  }

  @Test
  void quantizedActivationsAreBitIdenticalToTheJavaKernels() {
    Random r = new Random(5);
    for (int bits : new int[] {4, 5, 8, 16}) {
      for (double spread : new double[] {2.0, 5.0, 0.01}) {
        int batch = 16;
        float[] x = new float[batch * C];
        for (int i = 0; i < x.length; i++) {
          x[i] = i % 13 == 0 ? 0f : (float) (r.nextGaussian() * spread);
        }
        float[] y = new float[x.length];
        float s = QuantKernels.relu6(x, y, x.length);
        QuantKernels.quantizeNonNegative(y, y.length, s, bits);
        for (boolean train : new boolean[] {true, false}) {
          for (CompiledNetwork net : new CompiledNetwork[] {new OneDnnBackend().compile(model(bits), batch),
              new ReferenceBackend(1).compile(model(bits), batch)}) {
            try (net) {
              float[] logits = net.forward(x, train);
              for (int i = 0; i < y.length; i++) {
                if (y[i] == 0f && logits[i] == 0f) {
                  continue;
                }
                assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(logits[i]),
                    "bits " + bits + " spread " + spread + " element " + i + ": x " + x[i] + " expected " + y[i]
                        + " was " + logits[i] + " (" + net.getClass().getSimpleName() + ")");
              }
            }
          }
        }
      }
    }
  }

  @Test
  void backwardPassesTheGradientExactlyWhereZeroIsBelowXBelowSix() {
    float[] x = {-1f, 0f, 0.5f, 3f, 5.999f, 6f, 7f, 2f, -0.5f, 1e-3f, 4f, 5f};
    float[] g = new float[C];
    for (int i = 0; i < C; i++) {
      g[i] = 0.25f * (i + 1) * (i % 2 == 0 ? 1 : -1);
    }
    for (Backend backend : new Backend[] {new OneDnnBackend(), new ReferenceBackend(1)}) {
      Model m = model(4);
      try (CompiledNetwork n = backend.compile(m, 1)) {
        m.parameters().zeroGradients();
        n.forward(x, true);
        n.backward(g);
        float[] dw = m.parameters().get("conv.weight").grad();
        for (int o = 0; o < C; o++) {
          float pass = x[o] > 0f && x[o] < 6f ? g[o] : 0f;
          for (int i = 0; i < C; i++) {
            assertEquals(pass * x[i], dw[o * C + i], 0f, backend.name() + " dW[" + o + "," + i + "]");
          }
        }
      }
    }
  }

  @Test
  void allNonPositiveInputGivesZeros() {
    float[] x = new float[4 * C];
    for (int i = 0; i < x.length; i++) {
      x[i] = -i;
    }
    try (CompiledNetwork net = new OneDnnBackend().compile(model(4), 4)) {
      float[] logits = net.forward(x, true);
      for (float v : logits) {
        assertEquals(0f, v, 0f);
      }
    }
  }
}
