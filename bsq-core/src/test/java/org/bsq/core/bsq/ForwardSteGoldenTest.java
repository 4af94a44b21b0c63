package org.bsq.core.bsq;

import static org.bsq.core.bsq.Golden.assertBitwise;
import static org.bsq.core.bsq.Golden.scalar;
import static org.bsq.core.bsq.Golden.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Golden 02: forward reconstruction from continuous planes (bit sum, clamp, half-even rounding, scale) and the
 * straight-through gradients, for {@code L = sum(W * G)}. Weights, unit weights and plane gradients bit for bit; the
 * scale gradient (a reduction) to 1e-6 relative; conv/linear outputs (engine arithmetic) to 1e-5.
 */
class ForwardSteGoldenTest {
  private static final JsonNode FILE = Golden.file("02_forward_ste.json");

  /** Reconstructs, checks the forward, runs the backward and checks the gradients; returns the unit weights q. */
  private static float[] check(String name, float[] p, float[] n, int count, int bits, float scale, float[] g,
                               JsonNode intermediateQ, JsonNode forward, JsonNode gp, JsonNode gn, JsonNode gs) {
    float[] w = new float[count];
    float[] q = new float[count];
    BitMath.reconstruct(p, n, count, bits, scale, false, w, q);
    if (intermediateQ != null) {
      assertBitwise(tensor(intermediateQ), q, name + " q");
    }
    assertBitwise(tensor(forward), w, name + " forward");
    float[] gradP = new float[p.length];
    float[] gradN = new float[n.length];
    float gScale = BitMath.backward(g, q, count, bits, scale, gradP, gradN);
    assertBitwise(tensor(gp), gradP, name + " grad p");
    assertBitwise(tensor(gn), gradN, name + " grad n");
    float expected = Golden.tensor(gs)[0];
    assertEquals(expected, gScale, 1e-6 * Math.abs(expected), name + " grad scale");
    System.out.println(name + ": scale gradient " + (expected == gScale ? "bit for bit" : "differs by "
        + Golden.maxUlps(new float[] {expected}, new float[] {gScale}) + " ulp"));
    return w;
  }

  @Test
  void convCasesMatch() {
    for (String name : new String[] {"conv_n4_continuous", "conv_n8_continuous"}) {
      JsonNode c = Golden.testCase(FILE, name);
      JsonNode in = c.get("input");
      JsonNode out = c.get("output");
      JsonNode inter = c.get("intermediate");
      int bits = in.get("Nbits").asInt();
      float[] p = tensor(in.get("pweight"));
      float[] n = tensor(in.get("nweight"));
      int count = p.length / bits;
      float[] exps = BitMath.exps(bits);
      float[] sums = new float[count];
      for (int k = 0; k < count; k++) {
        sums[k] = BitMath.bitSum(p, n, k * bits, bits, exps);
      }
      assertBitwise(tensor(inter.get("exps")), exps, name + " exps");
      assertBitwise(tensor(inter.get("bit_sum_s")), sums, name + " bit sum");
      float[] w = check(name, p, n, count, bits, scalar(in.get("scale")), tensor(in.get("G")),
          inter.get("q_quantized_unit_weight"), out.get("forward_weight_W"), out.get("grad_pweight"),
          out.get("grad_nweight"), out.get("grad_scale"));
      // the conv output (engine arithmetic, not BSQ's): direct convolution in double, stride 1, no padding
      float[] x = tensor(in.get("conv_input_x"));
      int[] xs = Golden.shape(in.get("conv_input_x"));
      float[] y = conv(x, xs[1], xs[2], xs[3], w, Golden.shape(in.get("G")));
      Golden.assertRelative(tensor(out.get("conv_output")), y, 1e-5, name + " conv output");
    }
  }

  @Test
  void linearWithBiasMatches() {
    String name = "linear_n4_with_bias";
    JsonNode c = Golden.testCase(FILE, name);
    JsonNode in = c.get("input");
    JsonNode out = c.get("output");
    JsonNode inter = c.get("intermediate");
    int bits = in.get("Nbits").asInt();
    int bBits = in.get("bNbits").asInt();
    float[] w = check(name + " weight", tensor(in.get("pweight")), tensor(in.get("nweight")), 6, bits,
        scalar(in.get("scale")), tensor(in.get("G_weight")), inter.get("q_weight"), out.get("forward_weight_W"),
        out.get("grad_pweight"), out.get("grad_nweight"), out.get("grad_scale"));
    float[] b = check(name + " bias", tensor(in.get("pbias")), tensor(in.get("nbias")), 2, bBits,
        scalar(in.get("biasscale")), tensor(in.get("G_bias")), inter.get("q_bias"), out.get("forward_bias_B"),
        out.get("grad_pbias"), out.get("grad_nbias"), out.get("grad_biasscale"));
    float[] x = tensor(in.get("x"));
    float[] y = new float[4];
    for (int s = 0; s < 2; s++) {
      for (int o = 0; o < 2; o++) {
        double acc = b[o];
        for (int i = 0; i < 3; i++) {
          acc += (double) x[s * 3 + i] * w[o * 3 + i];
        }
        y[s * 2 + o] = (float) acc;
      }
    }
    Golden.assertRelative(tensor(out.get("linear_output")), y, 1e-5, name + " output");
  }

  private static float[] conv(float[] x, int c, int h, int wd, float[] w, int[] ws) {
    int o = ws[0];
    int k = ws[2];
    int oh = h - k + 1;
    int ow = wd - k + 1;
    float[] y = new float[o * oh * ow];
    for (int oc = 0; oc < o; oc++) {
      for (int r = 0; r < oh; r++) {
        for (int q = 0; q < ow; q++) {
          double acc = 0;
          for (int ic = 0; ic < c; ic++) {
            for (int a = 0; a < k; a++) {
              for (int bb = 0; bb < k; bb++) {
                acc += (double) x[(ic * h + r + a) * wd + q + bb] * w[((oc * c + ic) * k + a) * k + bb];
              }
            }
          }
          y[(oc * oh + r) * ow + q] = (float) acc;
        }
      }
    }
    return y;
  }
}
