package org.bsq.core.bsq;

import static org.bsq.core.bsq.Golden.assertBitwise;
import static org.bsq.core.bsq.Golden.assertPlanes;
import static org.bsq.core.bsq.Golden.scalar;
import static org.bsq.core.bsq.Golden.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden 01 ({@code ini2bit} / {@code to_bin}): every case bit for bit. */
class DecomposeGoldenTest {
  private static final JsonNode FILE = Golden.file("01_ini2bit.json");

  @Test
  void everyCaseIsReproducedBitForBit() {
    List<String> done = new ArrayList<>();
    for (JsonNode c : FILE.get("cases")) {
      String name = c.get("name").asText();
      JsonNode in = c.get("input");
      JsonNode out = c.get("output");
      int bits = in.get("Nbits").asInt();
      float[] w = tensor(in.get("weight"));
      BitPlanes planes = BitPlanes.fromFloat(w, bits);

      assertBitwise(new float[] {scalar(out.get("scale"))}, new float[] {planes.scale()}, name + " scale");
      assertPlanes(tensor(out.get("pweight")), planes.p(), name + " pweight");
      assertPlanes(tensor(out.get("nweight")), planes.n(), name + " nweight");
      if (out.has("Nbits")) {
        assertEquals(bits, out.get("Nbits").asInt(), name + " Nbits");
      }
      if (out.has("exps")) {
        assertBitwise(tensor(out.get("exps")), BitMath.exps(bits), name + " exps");
      }
      assertBitwise(tensor(out.get("forward_weight")), planes.reconstruct(), name + " forward weight");

      JsonNode inter = c.get("intermediate");
      if (inter != null && inter.has("scaled_pos")) {
        float s = planes.scale();
        float step = BitMath.step(bits);
        float[] pos = new float[w.length];
        float[] neg = new float[w.length];
        for (int k = 0; k < w.length; k++) {
          pos[k] = ((w[k] > 0 ? w[k] : 0f) * step) / s;
          neg[k] = ((w[k] <= 0 ? -w[k] : 0f) * step) / s;
        }
        assertBitwise(tensor(inter.get("scaled_pos")), pos, name + " scaled_pos");
        assertBitwise(tensor(inter.get("scaled_neg")), neg, name + " scaled_neg");
        long[] levels = planes.signedLevels();
        JsonNode expected = inter.get("signed_int_level").get("data");
        for (int k = 0; k < levels.length; k++) {
          assertEquals(expected.get(k).asLong(), levels[k], name + " level " + k);
        }
      }
      if (in.has("bias")) {
        BitPlanes b = BitPlanes.fromFloat(tensor(in.get("bias")), in.get("bNbits").asInt());
        assertBitwise(new float[] {scalar(out.get("biasscale"))}, new float[] {b.scale()}, name + " biasscale");
        assertPlanes(tensor(out.get("pbias")), b.p(), name + " pbias");
        assertPlanes(tensor(out.get("nbias")), b.n(), name + " nbias");
        assertBitwise(tensor(out.get("bexps")), BitMath.exps(b.bits()), name + " bexps");
        assertBitwise(tensor(out.get("forward_bias")), b.reconstruct(), name + " forward bias");
      }
      done.add(name);
    }
    assertEquals(6, done.size(), "cases " + done);
  }

  @Test
  void allZeroTensorKeepsThePreviousScale() {
    BitPlanes p = BitPlanes.fromFloat(new float[] {0f, -0f, 0f}, 4, 0.75f);
    assertEquals(0.75f, p.scale());
    assertEquals(0, p.nonZeroPercent()[0]);
    assertBitwise(new float[3], p.reconstruct(), "zeros", true);
  }
}
