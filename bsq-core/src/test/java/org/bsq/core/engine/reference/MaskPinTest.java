package org.bsq.core.engine.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.GraphBuilder;
import org.junit.jupiter.api.Test;

/**
 * {@link MaskPin}: input -> 1x1 conv "c" (node 1) -> activation "act" (node 2) -> average pool -> linear "fc". Sample
 * 0's first pixel is all zeros, so the conv output there is exactly 0, on the ReLU boundary.
 */
class MaskPinTest {
  private static final int N = 2;

  private static Model net(ActivationSpec spec) {
    GraphBuilder b = new GraphBuilder("pins", 2, 2, 2);
    int x = b.conv("c", b.input(), 3, 1, 1, 0);
    x = b.activation("act", x, spec);
    b.linear("fc", b.globalAvgPool(x), 2);
    return TinyNets.randomModel(b.build(), 5);
  }

  private static float[] input(Model model) {
    float[] x = TinyNets.input(model, N, 9);
    x[0] = 0f; // sample 0, channel 0, pixel 0
    x[4] = 0f; // sample 0, channel 1, pixel 0
    return x;
  }

  private record Pass(float[] z, float[] dz, float[] dy) {}

  private static Pass run(Model model, List<MaskPin> pins) {
    model.parameters().zeroGradients();
    try (CompiledNetwork net = new ReferenceBackend(1, pins).compile(model, N)) {
      net.forward(input(model), true);
      float[] dLogits = new float[N * 2];
      for (int i = 0; i < dLogits.length; i++) {
        dLogits[i] = 0.25f * (i + 1) * (i % 2 == 0 ? 1 : -1);
      }
      net.backward(dLogits);
      ReferenceNetwork r = (ReferenceNetwork) net;
      return new Pass(r.output(1), r.gradient(1), r.gradient(2));
    }
  }

  @Test
  void aPinnedElementPassesOrStopsTheGradientAndNothingElseChanges() {
    Model model = net(ActivationSpec.relu6());
    Pass plain = run(model, List.of());
    assertEquals(0f, plain.z()[0], "the conv output on the all-zero pixel");
    assertEquals(0f, plain.dz()[0], "ReLU6 stops the gradient at exactly 0");
    assertTrue(plain.dy()[0] != 0f, "the gradient arriving at the activation there");

    Pass passed = run(model, List.of(new MaskPin("act", 0, true, 0f)));
    assertEquals(plain.dy()[0], passed.dz()[0], "pinned to pass: dL/dz = dL/dy");
    for (int i = 1; i < plain.dz().length; i++) {
      assertEquals(plain.dz()[i], passed.dz()[i], "element " + i + " is not pinned");
    }

    // an element inside (0, 6): with a tolerance that reaches it, a pin may stop its gradient too
    int inside = -1;
    for (int i = 0; i < plain.z().length && inside < 0; i++) {
      if (plain.z()[i] > 0f && plain.z()[i] < 6f && plain.dz()[i] != 0f) {
        inside = i;
      }
    }
    assertTrue(inside >= 0, "some element lies inside (0, 6)");
    float distance = Math.min(plain.z()[inside], 6f - plain.z()[inside]);
    Pass stopped = run(model, List.of(new MaskPin("act", inside, false, distance)));
    assertEquals(0f, stopped.dz()[inside]);
  }

  @Test
  void aPinFartherFromTheBoundaryThanItsToleranceIsRefused() {
    Model model = net(ActivationSpec.relu6());
    Pass plain = run(model, List.of());
    int far = -1;
    for (int i = 0; i < plain.z().length && far < 0; i++) {
      if (plain.z()[i] > 0.1f && plain.z()[i] < 5.9f) {
        far = i;
      }
    }
    MaskPin pin = new MaskPin("act", far, false, 1e-6f);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> run(model, List.of(pin)));
    assertTrue(e.getMessage().contains("must sit within 1.0E-6") && e.getMessage().contains("input was"),
        e.getMessage());
  }

  @Test
  void pinsMustNameAClippingActivationAndAnElementOfIt() {
    Model model = net(ActivationSpec.relu6());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> run(model, List.of(new MaskPin("nope", 0, true, 0f))));
    assertTrue(unknown.getMessage().contains("[nope]"), unknown.getMessage());
    IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
        () -> run(model, List.of(new MaskPin("act", N * 3 * 4, true, 0f))));
    assertTrue(range.getMessage().contains("must be < 24") && range.getMessage().contains("was 24"),
        range.getMessage());
    Model pact = net(ActivationSpec.quantized(2));
    IllegalArgumentException kind = assertThrows(IllegalArgumentException.class,
        () -> run(pact, List.of(new MaskPin("act", 0, true, 0f))));
    assertTrue(kind.getMessage().contains("PACT_QUANT"), kind.getMessage());
    GraphBuilder b = new GraphBuilder("on-input", 2, 2, 2);
    int x = b.activation("first", b.input(), ActivationSpec.relu6());
    b.linear("fc", b.globalAvgPool(b.conv("c", x, 3, 1, 1, 0)), 2);
    Model onInput = TinyNets.randomModel(b.build(), 5);
    IllegalArgumentException input = assertThrows(IllegalArgumentException.class,
        () -> new ReferenceBackend(1, List.of(new MaskPin("first", 0, true, 0f))).compile(onInput, N));
    assertTrue(input.getMessage().contains("reads the network input"), input.getMessage());
  }

  @Test
  void pinValuesAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> new MaskPin(" ", 0, true, 0f));
    assertThrows(IllegalArgumentException.class, () -> new MaskPin("act", -1, true, 0f));
    assertThrows(IllegalArgumentException.class, () -> new MaskPin("act", 0, true, Float.NaN));
    assertThrows(IllegalArgumentException.class, () -> new MaskPin("act", 0, true, -1f));
    assertThrows(IllegalArgumentException.class, () -> new ReferenceBackend(1, null));
  }
}
