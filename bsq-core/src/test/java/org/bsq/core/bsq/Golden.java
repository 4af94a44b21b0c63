package org.bsq.core.bsq;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads the BSQ golden vectors copied into {@code src/test/resources/golden/bsq} (see PROVENANCE.md there). */
final class Golden {
  private Golden() {}

  static JsonNode file(String name) {
    try (InputStream in = Golden.class.getResourceAsStream("/golden/bsq/" + name)) {
      if (in == null) {
        throw new IllegalStateException("test resource /golden/bsq/" + name + " is missing");
      }
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode testCase(JsonNode file, String name) {
    for (JsonNode c : file.get("cases")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException("no golden case '" + name + "'");
  }

  /** A float32 tensor: from its authoritative hex bit patterns when present, else from integer data. */
  static float[] tensor(JsonNode t) {
    JsonNode hex = t.get("hex");
    if (hex != null) {
      float[] v = new float[hex.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(hex.get(i).asText(), 16));
      }
      return v;
    }
    JsonNode data = t.get("data");
    float[] v = new float[data.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) data.get(i).asDouble();
    }
    return v;
  }

  static int[] shape(JsonNode t) {
    JsonNode s = t.get("shape");
    int[] out = new int[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.get(i).asInt();
    }
    return out;
  }

  static float scalar(JsonNode s) {
    if (s.has("hex")) {
      return Float.intBitsToFloat(Integer.parseUnsignedInt(s.get("hex").asText(), 16));
    }
    return tensor(s)[0];
  }

  /** Bitwise equality (the sign of zero is ignored only when {@code ignoreZeroSign}). */
  static void assertBitwise(float[] expected, float[] actual, String what, boolean ignoreZeroSign) {
    assertEquals(expected.length, actual.length, what + " length");
    for (int i = 0; i < expected.length; i++) {
      float e = expected[i];
      float a = actual[i];
      if (ignoreZeroSign && e == 0f && a == 0f) {
        continue;
      }
      int eb = Float.floatToRawIntBits(e);
      int ab = Float.floatToRawIntBits(a);
      int index = i;
      assertEquals(eb, ab, () -> what + "[" + index + "]: expected " + e + " (" + Integer.toHexString(eb) + "), was "
          + a + " (" + Integer.toHexString(ab) + ")");
    }
  }

  static void assertBitwise(float[] expected, float[] actual, String what) {
    assertBitwise(expected, actual, what, false);
  }

  /** Planes compare as values (the reference sometimes stores -0.0 in nweight). */
  static void assertPlanes(float[] expected, float[] actual, String what) {
    assertBitwise(expected, actual, what, true);
  }

  static void assertRelative(float[] expected, float[] actual, double rel, String what) {
    assertEquals(expected.length, actual.length, what + " length");
    for (int i = 0; i < expected.length; i++) {
      double tol = rel * Math.max(Math.abs(expected[i]), 1e-30);
      int index = i;
      assertEquals(expected[i], actual[i], tol, () -> what + "[" + index + "]");
    }
  }

  /** Max |a - e| in units of the last place of e. */
  static int maxUlps(float[] expected, float[] actual) {
    int max = 0;
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != actual[i]) {
        max = Math.max(max, (int) Math.round(Math.abs((double) expected[i] - actual[i]) / Math.ulp(expected[i])));
      }
    }
    return max;
  }
}
