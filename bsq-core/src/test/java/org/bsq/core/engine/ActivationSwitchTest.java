package org.bsq.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.List;
import org.bsq.core.engine.onednn.OneDnnBackend;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.param.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Activation specs changed on the model between forward passes of one compiled network ({@link Model#setActivationSpec})
 * must give exactly what a network compiled from a graph built with those specs gives: logits, every gradient
 * (PACT's alpha included), running statistics and evaluation logits; the two backends must agree with each other.
 */
class ActivationSwitchTest {
  private static final ActivationSpec RELU6 = ActivationSpec.relu6();
  private static final int BATCH = 3;
  /** The switched nodes of {@link #graph}. */
  private static final List<String> NODES = List.of("b1.act1", "b1.act2", "b2.act1", "b2.act2");

  private static ActivationSpec q(int bits) { return new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, bits); }

  private static ActivationSpec pact(int bits) { return new ActivationSpec(ActivationSpec.Kind.PACT_QUANT, bits); }

  /** The specs of {@link #NODES} in each round; the first is the graph the switched network is compiled from. */
  private static final ActivationSpec[][] ROUNDS = {
      {RELU6, q(4), RELU6, RELU6},
      {q(4), pact(2), RELU6, q(6)},
      {pact(2), RELU6, pact(3), q(4)},
      {pact(3), q(5), q(2), pact(1)},
      {RELU6, q(4), RELU6, RELU6},
  };

  /** TinyNets' residual topology with the given activations at {@link #NODES}. */
  static Graph graph(ActivationSpec... specs) {
    GraphBuilder b = new GraphBuilder("tiny-residual", 3, 8, 8);
    int x = b.conv("conv1", b.input(), 4, 3, 1, 1);
    x = b.activation("act1", b.batchNorm("bn1", x), ActivationSpec.relu());
    int y = b.conv("b1.conv1", x, 6, 3, 2, 1);
    y = b.activation("b1.act1", b.batchNorm("b1.bn1", y), specs[0]);
    y = b.batchNorm("b1.bn2", b.conv("b1.conv2", y, 6, 3, 1, 1));
    int shortcut = b.batchNorm("b1.downbn", b.conv("b1.down", x, 6, 1, 2, 0));
    x = b.activation("b1.act2", b.add(y, shortcut), specs[1]);
    y = b.conv("b2.conv1", x, 6, 3, 1, 1);
    y = b.activation("b2.act1", b.batchNorm("b2.bn1", y), specs[2]);
    y = b.batchNorm("b2.bn2", b.conv("b2.conv2", y, 6, 3, 1, 1));
    x = b.activation("b2.act2", b.add(y, x), specs[3]);
    b.linear("fc", b.globalAvgPool(x), TinyNets.CLASSES);
    return b.build();
  }

  private static Backend backend(String name) {
    if (name.equals(OneDnnBackend.NAME)) {
      assumeTrue(OneDnnBackend.isAvailable(), "oneDNN cannot be loaded: " + OneDnnBackend.availability().reason());
      return new OneDnnBackend();
    }
    return new ReferenceBackend(2);
  }

  /** Sets every switched node's spec; PACT clips added by the model get 1.5 + 0.1 k (small enough to clip). */
  private static void switchTo(Model model, ActivationSpec[] specs) {
    for (int k = 0; k < NODES.size(); k++) {
      String alpha = NODES.get(k) + ".alpha";
      boolean had = model.parameters().contains(alpha);
      model.setActivationSpec(NODES.get(k), specs[k]);
      if (!had && model.parameters().contains(alpha)) {
        model.parameters().get(alpha).value()[0] = 1.5f + 0.1f * k;
      }
    }
  }

  /** A model of the graph built with {@code specs}, with a copy of every value of {@code from}'s tensors. */
  private static Model copyAsGraph(Model from, ActivationSpec[] specs) {
    Model m = Model.withZeroParameters(graph(specs));
    for (Parameter p : m.parameters().all()) {
      float[] v = from.parameters().get(p.name()).value();
      System.arraycopy(v, 0, p.value(), 0, v.length);
    }
    return m;
  }

  /** One training step without an update: forward (training), softmax-CE, backward; returns the logits. */
  private static float[] forwardBackward(CompiledNetwork net, float[] x, int[] labels) {
    Model m = net.model();
    m.parameters().zeroGradients();
    float[] logits = net.forward(x, true).clone();
    float[] g = new float[logits.length];
    SoftmaxCrossEntropy.lossAndGradient(logits, labels, labels.length, m.graph().numClasses(), g);
    net.backward(g);
    return logits;
  }

  private static void sgd(Model m) {
    for (Parameter p : m.parameters().trainable()) {
      for (int i = 0; i < p.size(); i++) {
        p.value()[i] -= 0.05f * p.grad()[i];
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"reference", "onednn"})
  void switchingBetweenPassesMatchesNetworksCompiledWithThoseSpecs(String backendName) {
    Backend backend = backend(backendName);
    Model switched = TinyNets.randomModel(graph(ROUNDS[0]), 17);
    boolean alphaGradientSeen = false;
    try (CompiledNetwork net = backend.compile(switched, BATCH)) {
      for (int round = 0; round < ROUNDS.length; round++) {
        ActivationSpec[] specs = ROUNDS[round];
        switchTo(switched, specs);
        Model built = copyAsGraph(switched, specs);
        String at = backendName + ", round " + round + " " + Arrays.toString(specs) + ": ";
        float[] x = TinyNets.input(switched, BATCH, 100 + round);
        int[] labels = TinyNets.labels(switched, BATCH, 200 + round);
        try (CompiledNetwork fresh = backend.compile(built, BATCH)) {
          assertArrayEquals(forwardBackward(fresh, x, labels), forwardBackward(net, x, labels), at + "logits");
          for (Parameter p : built.parameters().all()) {
            Parameter s = switched.parameters().get(p.name());
            if (p.trainable()) {
              assertArrayEquals(p.grad(), s.grad(), at + "gradient of " + p.name());
            } else {
              assertArrayEquals(p.value(), s.value(), at + "buffer " + p.name());
            }
          }
          for (int k = 0; k < NODES.size(); k++) {
            float g = switched.parameters().contains(NODES.get(k) + ".alpha")
                ? switched.parameters().get(NODES.get(k) + ".alpha").grad()[0] : 0f;
            if (specs[k].hasAlpha()) {
              alphaGradientSeen |= g != 0f;
            } else {
              assertEquals(0f, g, at + "no alpha gradient where " + NODES.get(k) + " is " + specs[k]);
            }
          }
          float[] xe = TinyNets.input(switched, BATCH, 300 + round);
          assertArrayEquals(fresh.forward(xe, false).clone(), net.forward(xe, false), at + "evaluation logits");
        }
        sgd(switched); // the next round starts from other parameters
      }
    }
    assertTrue(alphaGradientSeen, "some PACT clip received a gradient");
  }

  /** The backward follows the spec of the last training forward pass, not the spec set after it. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"reference", "onednn"})
  void backwardUsesTheSpecOfTheLastTrainingForward(String backendName) {
    Backend backend = backend(backendName);
    ActivationSpec[] specs = ROUNDS[3];
    Model switched = TinyNets.randomModel(graph(ROUNDS[0]), 23);
    switchTo(switched, specs);
    Model built = copyAsGraph(switched, specs);
    float[] x = TinyNets.input(switched, BATCH, 5);
    int[] labels = TinyNets.labels(switched, BATCH, 6);
    try (CompiledNetwork net = backend.compile(switched, BATCH); CompiledNetwork fresh = backend.compile(built, BATCH)) {
      float[] expected = forwardBackward(fresh, x, labels);
      switched.parameters().zeroGradients();
      float[] logits = net.forward(x, true).clone();
      assertArrayEquals(expected, logits);
      switchTo(switched, ROUNDS[0]); // after the forward pass: must not change this backward
      float[] g = new float[logits.length];
      SoftmaxCrossEntropy.lossAndGradient(logits, labels, BATCH, TinyNets.CLASSES, g);
      net.backward(g);
      for (Parameter p : built.parameters().trainable()) {
        assertArrayEquals(p.grad(), switched.parameters().get(p.name()).grad(), "gradient of " + p.name());
      }
    }
  }

  /** Both backends switching the same way agree (within the tolerance of the backend comparison). */
  @Test
  void referenceAndOneDnnAgreeWhileSwitching() {
    Backend onednn = backend(OneDnnBackend.NAME);
    Model ref = TinyNets.randomModel(graph(ROUNDS[0]), 29);
    Model dnn = TinyNets.randomModel(graph(ROUNDS[0]), 29);
    try (CompiledNetwork r = new ReferenceBackend(1).compile(ref, BATCH);
        CompiledNetwork d = onednn.compile(dnn, BATCH)) {
      for (int round = 0; round < ROUNDS.length; round++) {
        switchTo(ref, ROUNDS[round]);
        switchTo(dnn, ROUNDS[round]);
        String at = "round " + round + ": ";
        float[] x = TinyNets.input(ref, BATCH, 400 + round);
        int[] labels = TinyNets.labels(ref, BATCH, 500 + round);
        assertClose(at + "logits", forwardBackward(r, x, labels), forwardBackward(d, x, labels));
        for (Parameter p : ref.parameters().all()) {
          Parameter q = dnn.parameters().get(p.name());
          assertClose(at + (p.trainable() ? "gradient of " : "buffer ") + p.name(),
              p.trainable() ? p.grad() : p.value(), p.trainable() ? q.grad() : q.value());
        }
        float[] xe = TinyNets.input(ref, BATCH, 600 + round);
        assertClose(at + "evaluation logits", r.forward(xe, false).clone(), d.forward(xe, false));
        sgd(ref);
        sgd(dnn);
      }
    }
  }

  /**
   * Finite differences of a PACT node set at run time on a ReLU6 graph, alpha included (16 bits: the quantizer's step
   * is far below the perturbation, so the straight-through gradients are the true ones), on both backends.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"reference", "onednn"})
  void gradientCheckOfAPactNodeSetAtRunTime(String backendName) {
    Backend backend = backend(backendName);
    GraphBuilder b = new GraphBuilder("act", 2, 4, 4);
    int x = b.batchNorm("bn", b.conv("c1", b.input(), 3, 3, 1, 1));
    x = b.activation("act", x, ActivationSpec.relu6());
    x = b.conv("c2", x, 3, 3, 1, 1);
    b.linear("fc", b.globalAvgPool(x), 3);
    Model model = TinyNets.randomModel(b.build(), 61);
    Arrays.fill(model.parameters().get("bn.weight").value(), 1.5f);
    model.setActivationSpec("act", pact(16));
    model.parameters().get("act.alpha").value()[0] = 1.25f;
    float[] in = TinyNets.input(model, 4, 62);
    int[] labels = TinyNets.labels(model, 4, 63);
    GradientCheck.Options options = GradientCheck.Options.defaults().withTolerances(2e-3, 3e-2, 5e-4);
    GradientCheck.Report all = GradientCheck.check(backend, model, in, labels, options);
    assertTrue(all.passed(), all::summary);
    assertTrue(all.checked() >= 100 && all.skippedAtKinks() * 20 <= all.checked(), all::summary);
    GradientCheck.Report alpha = GradientCheck.check(backend, model, in, labels,
        options.withParameters("act.alpha"::equals).withWeightSources(false));
    assertEquals(1, alpha.checked(), alpha::summary);
    assertTrue(alpha.passed() && alpha.maxAbsAnalytic() > 1e-4, alpha::summary);
  }

  private static void assertClose(String what, float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, what + ": length");
    double max = 0;
    for (float v : expected) {
      max = Math.max(max, Math.abs(v));
    }
    double floor = Math.max(1e-2 * max, 1e-30);
    for (int i = 0; i < expected.length; i++) {
      assertFalse(Float.isNaN(actual[i]), what + "[" + i + "] is NaN");
      double err = Math.abs((double) expected[i] - actual[i]) / Math.max(Math.abs(expected[i]), floor);
      assertTrue(err <= 1e-4, what + "[" + i + "]: expected " + expected[i] + ", was " + actual[i]);
    }
  }
}
