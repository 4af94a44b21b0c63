package org.bsq.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.junit.jupiter.api.Test;

class InitializersTest {
  private static Model model() {
    GraphBuilder b = new GraphBuilder("init", 3, 8, 8);
    int x = b.conv("conv1", b.input(), 64, 3, 1, 1);
    x = b.activation("act1", b.batchNorm("bn1", x), ActivationSpec.quantized(2));
    b.linear("fc", b.globalAvgPool(x), 10);
    return Model.withZeroParameters(b.build());
  }

  @Test
  void bearpawResNetStyle() {
    Model m = model();
    m.parameters().add(new Parameter("fc.planes", new int[] {2}, ParameterRole.STRATEGY, new float[] {7f, 8f}));
    Initializers.initialize(m, 42);

    float[] conv = m.parameters().get("conv1.weight").value();   // [64, 3, 3, 3], std sqrt(2 / (3*3*64))
    double mean = 0;
    double sq = 0;
    for (float v : conv) {
      mean += v;
      sq += (double) v * v;
    }
    mean /= conv.length;
    double std = Math.sqrt(sq / conv.length - mean * mean);
    double expected = Math.sqrt(2.0 / (3 * 3 * 64));
    assertEquals(0, mean, 4 * expected / Math.sqrt(conv.length));
    assertEquals(expected, std, 0.06 * expected);

    assertTrue(allEqual(m.parameters().get("bn1.weight").value(), 1f));
    assertTrue(allEqual(m.parameters().get("bn1.bias").value(), 0f));
    assertTrue(allEqual(m.parameters().get("bn1.running_mean").value(), 0f));
    assertTrue(allEqual(m.parameters().get("bn1.running_var").value(), 1f));
    assertArrayEquals(new float[] {10f}, m.parameters().get("act1.alpha").value());

    double bound = 1 / Math.sqrt(64);
    for (String name : new String[] {"fc.weight", "fc.bias"}) {
      float[] v = m.parameters().get(name).value();
      double max = 0;
      for (float x : v) {
        assertTrue(Math.abs(x) <= bound, name + " value " + x + " within 1/sqrt(in)");
        max = Math.max(max, Math.abs(x));
      }
      assertTrue(max > bound / 4, name + " is spread over the range");
    }
    assertArrayEquals(new float[] {7f, 8f}, m.parameters().get("fc.planes").value(), "strategy tensors untouched");
  }

  @Test
  void deterministicPerSeed() {
    Model a = model();
    Model b = model();
    Model c = model();
    Initializers.initialize(a, 7);
    Initializers.initialize(b, 7);
    Initializers.initialize(c, 8);
    for (Parameter p : a.parameters().all()) {
      assertArrayEquals(p.value(), b.parameters().get(p.name()).value(), p.name());
    }
    assertFalse(Arrays.equals(a.parameters().get("conv1.weight").value(),
        c.parameters().get("conv1.weight").value()));
    assertFalse(Arrays.equals(a.parameters().get("fc.weight").value(), a.parameters().get("fc.bias").value()));
  }

  private static boolean allEqual(float[] v, float x) {
    for (float y : v) {
      if (y != x) {
        return false;
      }
    }
    return true;
  }
}
