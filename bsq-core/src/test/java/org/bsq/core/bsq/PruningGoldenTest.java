package org.bsq.core.bsq;

import static org.bsq.core.bsq.Golden.assertBitwise;
import static org.bsq.core.bsq.Golden.assertPlanes;
import static org.bsq.core.bsq.Golden.scalar;
import static org.bsq.core.bsq.Golden.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Golden 05 ({@code ResNet.pruning(threshold, drop)}): MSB/LSB plane removal, scale adjustment, {@code p - n} counting,
 * thresholds and the consecutive-drop behaviour, bit for bit.
 */
class PruningGoldenTest {
  private static final JsonNode FILE = Golden.file("05_pruning.json");

  private static BitPlanes planes(JsonNode layer, String prefix, String bitsKey, String scaleKey) {
    int bits = layer.get(bitsKey).asInt();
    float[] p = tensor(layer.get("p" + prefix));
    return new BitPlanes(p.length / bits, bits, scalar(layer.get(scaleKey)), p, tensor(layer.get("n" + prefix)));
  }

  private static void checkCase(String caseName, double threshold, boolean drop, List<String> done) {
    JsonNode c = Golden.testCase(FILE, caseName);
    JsonNode before = c.get("layers_before");
    JsonNode after = c.get("layers_after");
    JsonNode dict = c.get("returned_Nbit_dict");
    for (Iterator<Map.Entry<String, JsonNode>> it = before.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = caseName + "/" + e.getKey();
      JsonNode b = e.getValue();
      JsonNode a = after.get(e.getKey());
      BitPlanes w = planes(b, "weight", "Nbits", "scale");
      double[] pct = w.nonZeroPercent();
      JsonNode expectedPct = b.get("nonzero_percent_per_plane");
      for (int i = 0; i < pct.length; i++) {
        assertEquals(expectedPct.get(i).asDouble(), pct[i], 0.0, name + " nonzero% " + i);
      }
      assertBitwise(tensor(b.get("forward_weight")), w.reconstruct(), name + " forward before");
      BitPlanes w2 = w.adjustPrecision(threshold, drop, false);
      assertEquals(a.get("Nbits").asInt(), w2.bits(), name + " Nbits");
      assertEquals(dict.get(e.getKey()).get(0).asInt(), w2.bits(), name + " Nbit dict");
      assertBitwise(new float[] {scalar(a.get("scale"))}, new float[] {w2.scale()}, name + " scale");
      assertBitwise(tensor(a.get("exps")), BitMath.exps(w2.bits()), name + " exps");
      assertPlanes(tensor(a.get("pweight")), w2.p(), name + " pweight");
      assertPlanes(tensor(a.get("nweight")), w2.n(), name + " nweight");
      assertBitwise(tensor(a.get("forward_weight")), w2.reconstruct(), name + " forward after");
      if (b.has("pbias")) {
        BitPlanes bias = planes(b, "bias", "bNbits", "biasscale");
        BitPlanes bias2 = bias.adjustPrecision(threshold, drop, true);
        assertEquals(a.get("bNbits").asInt(), bias2.bits(), name + " bNbits");
        assertEquals(dict.get(e.getKey()).get(1).asInt(), bias2.bits(), name + " Nbit dict bias");
        assertBitwise(new float[] {scalar(a.get("biasscale"))}, new float[] {bias2.scale()}, name + " biasscale");
        assertBitwise(tensor(a.get("bexps")), BitMath.exps(bias2.bits()), name + " bexps");
        assertPlanes(tensor(a.get("pbias")), bias2.p(), name + " pbias");
        assertPlanes(tensor(a.get("nbias")), bias2.n(), name + " nbias");
        assertBitwise(tensor(a.get("forward_bias")), bias2.reconstruct(), name + " forward bias after");
      } else {
        assertEquals(0, dict.get(e.getKey()).get(1).asInt(), name + " no bias");
      }
      done.add(name);
    }
  }

  @Test
  void thresholdZeroDropTrue() {
    List<String> done = new ArrayList<>();
    checkCase("threshold0_drop_true", 0.0, true, done);
    assertEquals(9, done.size(), "layers " + done);
  }

  @Test
  void thresholdTwentyWithAndWithoutDrop() {
    List<String> done = new ArrayList<>();
    checkCase("threshold20_drop_true", 20.0, true, done);
    checkCase("threshold20_drop_false", 20.0, false, done);
    assertEquals(3, done.size(), "layers " + done);
  }

  @Test
  void allZeroLayerEndsAtOneBitAndCountsAsPrunedInTheScheme() {
    JsonNode c = Golden.testCase(FILE, "zero_layer_1bit_0bit_transitions");
    assertEquals(1, c.get("states").get("after_pruning").get("Nbits").asInt());
    assertEquals(0, c.get("states").get("after_to_finetune").get("Nbits").asInt());
    BitPlanes zero = new BitPlanes(8, 8, 0.75f, new float[64], new float[64]);
    BitPlanes adjusted = zero.adjustPrecision(0.0, true, false);
    assertEquals(1, adjusted.bits());
    assertEquals(true, adjusted.allZero());
    assertArrayEquals(new float[8], adjusted.reconstruct());
    // BitRepresentation.scheme() reports such a layer as 0 bits (see BitRepresentationTest)
  }
}
