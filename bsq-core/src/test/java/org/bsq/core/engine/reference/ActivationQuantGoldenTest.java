package org.bsq.core.engine.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bsq.core.graph.ActivationSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The activation kernels against the official BSQ code's golden vectors ({@code golden/bsq/06_activation_quant.json}):
 * ReLU6 + STE and PACT + STE; forward outputs and dL/dx compared bit for bit, dL/dalpha to 1e-6 relative.
 */
class ActivationQuantGoldenTest {
  private static JsonNode golden() throws IOException {
    String dir = System.getProperty("bsq.shared.dir");
    Assumptions.assumeTrue(dir != null, "system property bsq.shared.dir is not set; skipping the golden test");
    Path file = Path.of(dir, "golden", "bsq", "06_activation_quant.json");
    Assumptions.assumeTrue(Files.isRegularFile(file), "golden file " + file + " is absent; skipping the golden test");
    return new ObjectMapper().readTree(file.toFile());
  }

  /** A float32 tensor from its authoritative hex bit patterns. */
  private static float[] tensor(JsonNode t) {
    JsonNode hex = t.get("hex");
    float[] v = new float[hex.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(hex.get(i).asText(), 16));
    }
    return v;
  }

  private static float scalar(JsonNode s) {
    return Float.intBitsToFloat(Integer.parseUnsignedInt(s.get("hex").asText(), 16));
  }

  private static void assertBitwise(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + " length");
    for (int i = 0; i < expected.length; i++) {
      int e = Float.floatToRawIntBits(expected[i]);
      int a = Float.floatToRawIntBits(actual[i]);
      int index = i;
      assertEquals(e, a, () -> what + "[" + index + "]: expected " + expected[index] + " (" + Integer.toHexString(e)
          + "), was " + actual[index] + " (" + Integer.toHexString(a) + ")");
    }
  }

  @Test
  void everyGoldenCaseIsReproducedBitForBit() throws IOException {
    JsonNode cases = golden().get("cases");
    List<String> reproduced = new ArrayList<>();
    List<String> alphaExact = new ArrayList<>();
    for (JsonNode c : cases) {
      String name = c.get("name").asText();
      JsonNode in = c.get("input");
      JsonNode outNode = c.get("output");
      float[] x = tensor(in.get("x"));
      float[] g = tensor(in.get("G"));
      int bits = in.get("act_bit").asInt();
      boolean pact = in.has("alpha");
      ActivationSpec spec = new ActivationSpec(pact ? ActivationSpec.Kind.PACT_QUANT : ActivationSpec.Kind.RELU6_QUANT,
          bits);
      float alpha = pact ? scalar(in.get("alpha")) : 0f;
      assertEquals(name.startsWith("pact"), pact, name + ": case kind");

      float[] act = new float[x.length];
      ActivationKernels.forward(spec, alpha, x, act, x.length);
      assertBitwise(tensor(outNode.get("act")), act, name + " act");

      // -0.0 is the additive identity: a gradient buffer pre-filled with it receives each term's exact bits,
      // including the -0.0 the official g * 0 gives for negative g.
      float[] gradX = new float[x.length];
      Arrays.fill(gradX, -0.0f);
      double dAlpha = ActivationKernels.backward(spec, alpha, x, g, gradX, x.length);
      assertBitwise(tensor(outNode.get("grad_x")), gradX, name + " grad_x");
      if (pact) {
        // The reference sums dL/dalpha in double (correctly rounded for these few terms); PyTorch sums float32 in
        // vector lanes, which differs by a few ulps when the terms cancel (pact_alpha2_a2: 4 ulps).
        float expected = scalar(outNode.get("grad_alpha"));
        assertEquals(expected, (float) dAlpha, 1e-6f * Math.abs(expected), name + " grad_alpha");
        if (Float.floatToRawIntBits(expected) == Float.floatToRawIntBits((float) dAlpha)) {
          alphaExact.add(name);
        }
      } else {
        assertEquals(0.0, dAlpha, name + ": no alpha gradient without PACT");
      }

      double loss = 0;
      for (int i = 0; i < x.length; i++) {
        loss += (double) act[i] * g[i];
      }
      float expectedLoss = scalar(outNode.get("loss_sum_act_times_G"));
      assertEquals(expectedLoss, loss, 1e-6 * Math.max(1, Math.abs(expectedLoss)), name + " sum(act * G)");
      reproduced.add(name);
    }
    assertEquals(7, reproduced.size(), "golden cases: " + reproduced);
    System.out.println("activation golden cases with act and grad_x bit for bit: " + reproduced
        + "; grad_alpha bit for bit: " + alphaExact);
  }

  @Test
  void reluSixIntermediatesAndScaleMatch() throws IOException {
    for (JsonNode c : golden().get("cases")) {
      if (c.get("input").has("alpha")) {
        continue;
      }
      String name = c.get("name").asText();
      float[] x = tensor(c.get("input").get("x"));
      float[] y = new float[x.length];
      ActivationKernels.forward(ActivationSpec.relu6(), 0f, x, y, x.length);
      float[] expectedY = tensor(c.get("intermediate").get("relu6_y"));
      for (int i = 0; i < x.length; i++) {
        assertEquals(expectedY[i], y[i], 0f, name + " relu6_y[" + i + "]");
      }
      float s = 0;
      for (float v : y) {
        s = Math.max(s, Math.abs(v));
      }
      assertEquals(scalar(c.get("intermediate").get("S_max_abs_over_whole_tensor")), s, 0f, name + " S");
      assertTrue(c.get("intermediate").has("abs_y_times_step_div_S"), name);
    }
  }
}
