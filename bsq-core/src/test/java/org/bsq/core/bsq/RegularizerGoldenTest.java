package org.bsq.core.bsq;

import static org.bsq.core.bsq.Golden.assertRelative;
import static org.bsq.core.bsq.Golden.scalar;
import static org.bsq.core.bsq.Golden.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Golden 03 ({@code L1reg}) for single layers: plane norms, the layer term and its gradients (relative 1e-6; the
 * norms are reductions). The whole-ResNet-20 case is in {@link ResNet20GoldenTest}.
 */
class RegularizerGoldenTest {
  private static final JsonNode FILE = Golden.file("03_l1reg.json");

  /** Computes one layer's L1reg with the given bias multiplier and checks it against the case. */
  private static void check(String name, double biasMultiplier) {
    JsonNode c = Golden.testCase(FILE, name);
    JsonNode in = c.get("input");
    JsonNode inter = c.get("intermediate");
    JsonNode out = c.get("output");
    int bits = in.get("Nbits").asInt();
    float[] p = tensor(in.get("pweight"));
    float[] n = tensor(in.get("nweight"));
    int count = p.length / bits;
    assertEquals(in.get("total_weight_attr").asInt(), count, name + " weights");
    double multiplier = (double) count * bits;
    assertEquals(inter.get("weight_multiplier_total_weight_x_Nbits").asDouble(), multiplier, name + " multiplier");
    float[] gp = new float[p.length];
    float[] gn = new float[n.length];
    float[] norms = new float[bits];
    float reg = BitMath.groupLasso(p, n, count, bits, multiplier, 1.0, gp, gn, norms);
    assertRelative(tensor(inter.get("weight_plane_norms")), norms, 1e-6, name + " plane norms");
    assertRelative(tensor(out.get("grad_pweight")), gp, 1e-5, name + " grad p");
    assertRelative(tensor(out.get("grad_nweight")), gn, 1e-5, name + " grad n");
    if (in.has("pbias")) {
      int bBits = in.get("bNbits").asInt();
      float[] pb = tensor(in.get("pbias"));
      float[] nb = tensor(in.get("nbias"));
      assertEquals(inter.get("bias_multiplier").asDouble(), biasMultiplier, name + " bias multiplier");
      float[] gpb = new float[pb.length];
      float[] gnb = new float[nb.length];
      float[] bNorms = new float[bBits];
      reg += BitMath.groupLasso(pb, nb, pb.length / bBits, bBits, biasMultiplier, 1.0, gpb, gnb, bNorms);
      assertRelative(tensor(inter.get("bias_plane_norms")), bNorms, 1e-6, name + " bias plane norms");
      assertRelative(tensor(out.get("grad_pbias")), gpb, 1e-5, name + " grad pbias");
      assertRelative(tensor(out.get("grad_nbias")), gnb, 1e-5, name + " grad nbias");
    }
    float expected = scalar(out.get("reg"));
    assertEquals(expected, reg, 1e-6 * expected, name + " reg");
  }

  @Test
  void convWithAnAllZeroPlane() {
    check("conv_n4", 0);
    // the all-zero MSB plane: norm sqrt(float32(1e-8)) and an exactly zero gradient
    float[] p = new float[8];
    float[] n = new float[8];
    p[1] = 1f;
    float[] gp = new float[8];
    float[] gn = new float[8];
    float[] norms = new float[2];
    BitMath.groupLasso(p, n, 4, 2, 8, 1, gp, gn, norms);
    assertEquals((float) Math.sqrt(1e-8f), norms[0]);
    assertEquals(0f, gp[0]);
  }

  @Test
  void linearBiasTermUsesOutTimesBiasBits() {
    check("linear_n4_with_bias", 2 * 4);
  }

  @Test
  void convBiasTermHasMultiplierOne() {
    // the reference's inconsistency (BitConv2d bias term multiplier 1); the engine's convs have no bias
    check("conv_n3_with_bias_inconsistency", 1);
  }
}
