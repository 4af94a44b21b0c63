package org.bsq.core.engine.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.GradientCheck;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of the reference backend's gradients, op kind by op kind and on a residual net. */
class ReferenceGradientTest {
  private final ReferenceBackend backend = new ReferenceBackend(2);

  private static GradientCheck.Report check(Model model, int batch, long seed, GradientCheck.Options options) {
    float[] x = TinyNets.input(model, batch, seed);
    int[] labels = TinyNets.labels(model, batch, seed + 1);
    return GradientCheck.check(new ReferenceBackend(2), model, x, labels, options);
  }

  private static void assertPassed(GradientCheck.Report r, int minChecked) {
    System.out.println("gradient check: " + r.summary());
    assertTrue(r.passed(), r::summary);
    assertTrue(r.checked() >= minChecked, () -> "too few elements checked: " + r.summary());
    assertTrue(r.skippedAtKinks() * 20 <= r.checked(), () -> "too many elements at kinks: " + r.summary());
    assertTrue(r.maxAbsAnalytic() > 1e-3, () -> "gradients are vacuous: " + r.summary());
  }

  @Test
  void convolutionsWithStrideAndPaddingLinearAndPooling() {
    GraphBuilder b = new GraphBuilder("convs", 2, 5, 5);
    int x = b.conv("c1", b.input(), 3, 3, 2, 1);   // 3x3x3
    x = b.conv("c2", x, 4, 3, 1, 2);                // 4x5x5
    x = b.conv("c3", x, 3, 2, 2, 0);                // 3x2x2
    b.linear("fc", b.globalAvgPool(x), 4);
    Model model = TinyNets.randomModel(b.build(), 11);
    GradientCheck.Report r = check(model, 3, 12, GradientCheck.Options.defaults());
    assertEquals(0, r.skippedAtKinks(), r::summary); // no activation: the loss is smooth
    assertPassed(r, 2 * 3 * 9 + 3 * 4 * 9 + 4 * 3 * 4 + 3 * 4 + 4);
  }

  @Test
  void convolutionParametersAlsoCheckedThroughTheStoreWithDefaultSources() {
    GraphBuilder b = new GraphBuilder("convs", 2, 4, 4);
    int x = b.conv("c1", b.input(), 2, 3, 1, 1);
    x = b.conv("c2", x, 3, 3, 2, 1);
    b.linear("fc", b.globalAvgPool(x), 3);
    Model model = TinyNets.randomModel(b.build(), 21);
    GradientCheck.Report r = check(model, 2, 22, GradientCheck.Options.defaults().withWeightSources(false));
    assertPassed(r, 2 * 2 * 9 + 3 * 2 * 9 + 3 * 3 + 3);
  }

  @Test
  void batchNormInTrainingMode() {
    GraphBuilder b = new GraphBuilder("bn", 2, 3, 3);
    int x = b.conv("c1", b.input(), 3, 3, 1, 1);
    x = b.batchNorm("bn1", x);
    x = b.conv("c2", x, 3, 1, 1, 0);
    x = b.batchNorm("bn2", x);
    b.linear("fc", b.globalAvgPool(b.conv("c3", x, 2, 3, 1, 0)), 3);
    Model model = TinyNets.randomModel(b.build(), 31);
    GradientCheck.Report r = check(model, 4, 32, GradientCheck.Options.defaults());
    assertEquals(0, r.skippedAtKinks(), r::summary);
    assertPassed(r, 2 * 3 * 9 + 3 * 2 + 3 * 3 + 3 * 2 + 3 * 2 * 9 + 2 * 3 + 3);
  }

  private Model activationNet(ActivationSpec spec, long seed, float gamma) {
    GraphBuilder b = new GraphBuilder("act", 2, 4, 4);
    int x = b.batchNorm("bn", b.conv("c1", b.input(), 3, 3, 1, 1));
    x = b.activation("act", x, spec);
    x = b.conv("c2", x, 3, 3, 1, 1);
    b.linear("fc", b.globalAvgPool(x), 3);
    Model model = TinyNets.randomModel(b.build(), seed);
    Arrays.fill(model.parameters().get("bn.weight").value(), gamma);
    return model;
  }

  @Test
  void relu() {
    GradientCheck.Report r = check(activationNet(ActivationSpec.relu(), 41, 1f), 4, 42,
        GradientCheck.Options.defaults());
    assertPassed(r, 100);
  }

  @Test
  void relu6WithValuesAboveSix() {
    // gamma 5 spreads the normalized values so that some exceed 6 and are clipped.
    Model model = activationNet(ActivationSpec.relu6(), 51, 5f);
    float[] x = TinyNets.input(model, 4, 52);
    assertTrue(countAbove(model, x, "bn", 6f) > 0, "test data must reach the ReLU6 clip");
    GradientCheck.Report r = GradientCheck.check(backend, model, x, TinyNets.labels(model, 4, 53));
    assertPassed(r, 100);
  }

  @Test
  void pactAt16BitsIncludingAlpha() {
    // At 16 bits the quantizer's step (alpha / 65535) is far below the perturbation, so the loss is smooth at the
    // scale of the finite differences and PACT's straight-through gradients (including dL/dalpha) are the true ones.
    Model model = activationNet(new ActivationSpec(ActivationSpec.Kind.PACT_QUANT, 16), 61, 1.5f);
    model.parameters().get("act.alpha").value()[0] = 1.25f;
    float[] x = TinyNets.input(model, 4, 62);
    assertTrue(countAbove(model, x, "bn", 1.25f) > 0, "test data must reach the PACT clip");
    GradientCheck.Report r = GradientCheck.check(backend, model, x, TinyNets.labels(model, 4, 63),
        GradientCheck.Options.defaults().withTolerances(2e-3, 3e-2, 5e-4));
    assertPassed(r, 100);
    GradientCheck.Report alpha = GradientCheck.check(backend, model, x, TinyNets.labels(model, 4, 63),
        GradientCheck.Options.defaults().withTolerances(2e-3, 3e-2, 5e-4)
            .withParameters("act.alpha"::equals).withWeightSources(false));
    assertEquals(1, alpha.checked(), alpha::summary);
    assertPassed(alpha, 1);
  }

  @Test
  void residualNetWithProjectionShortcutAndFanOut() {
    Model model = TinyNets.residualFloat(71);
    GradientCheck.Report r = check(model, 2, 72, GradientCheck.Options.defaults());
    assertPassed(r, 1000);
  }

  /** How many outputs of node {@code layer} (by name) exceed {@code threshold} in a training forward pass. */
  private int countAbove(Model model, float[] input, String layer, float threshold) {
    Graph g = model.graph();
    int node = -1;
    for (int i = 0; i < g.size(); i++) {
      if (g.op(i) instanceof org.bsq.core.graph.Op.BatchNorm bn && bn.name().equals(layer)) {
        node = i;
      }
    }
    assertTrue(node > 0, "layer " + layer + " must exist");
    try (CompiledNetwork net = backend.compile(model, input.length / g.inputShape().size())) {
      net.forward(input, true);
      float[] y = ((ReferenceNetwork) net).output(node);
      int count = 0;
      for (float v : y) {
        if (v > threshold) count++;
      }
      return count;
    }
  }
}
