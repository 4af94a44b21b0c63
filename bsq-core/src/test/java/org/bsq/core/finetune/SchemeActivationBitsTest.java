package org.bsq.core.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.SoftmaxCrossEntropy;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.engine.onednn.OneDnnBackend;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.param.Parameter;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SchemeInstaller} applies a scheme's per-layer activation bits, on both backends. */
class SchemeActivationBitsTest {
  private static final int BATCH = 4;
  private static final int ACT_BITS = 4;

  private static Backend backend(String name) {
    if (name.equals(OneDnnBackend.NAME)) {
      assumeTrue(OneDnnBackend.isAvailable(), "oneDNN cannot be loaded: " + OneDnnBackend.availability().reason());
      return new OneDnnBackend();
    }
    return new ReferenceBackend(2);
  }

  /** A ResNet-like model built with the model-wide activation bits {@link #ACT_BITS}. */
  private static Model model(long seed) {
    return TinyNets.randomModel(TinyNets.resnetLikeGraph(ActivationSpec.quantized(ACT_BITS)), seed);
  }

  /** Training logits, every trainable gradient and the evaluation logits of one pass (concatenated). */
  private static float[] run(Backend backend, Model model) {
    float[] x = TinyNets.input(model, BATCH, 7);
    int[] labels = TinyNets.labels(model, BATCH, 8);
    List<Float> out = new ArrayList<>();
    try (CompiledNetwork net = backend.compile(model, BATCH)) {
      model.parameters().zeroGradients();
      float[] logits = net.forward(x, true).clone();
      float[] g = new float[logits.length];
      SoftmaxCrossEntropy.lossAndGradient(logits, labels, BATCH, TinyNets.CLASSES, g);
      net.backward(g);
      for (float v : logits) out.add(v);
      for (Parameter p : model.parameters().trainable()) {
        for (float v : p.grad()) out.add(v);
      }
      for (float v : net.forward(TinyNets.input(model, BATCH, 9), false)) out.add(v);
    }
    float[] a = new float[out.size()];
    for (int i = 0; i < a.length; i++) a[i] = out.get(i);
    return a;
  }

  private static float[] evalLogits(Backend backend, Model model) {
    try (CompiledNetwork net = backend.compile(model, BATCH)) {
      return net.forward(TinyNets.input(model, BATCH, 9), false).clone();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"reference", "onednn"})
  void schemeOfTheModelsActBitsChangesNothing(String backendName) {
    Backend backend = backend(backendName);
    Model plain = model(41);
    Model installed = model(41);
    LayerInventory inv = LayerInventory.of(installed.graph());
    // full-precision weights: the install changes nothing about the weights either
    SchemeInstaller.install(installed, QuantizationScheme.uniform(inv, 32, ACT_BITS));
    assertEquals(Map.of(), installed.activationSpecOverrides());
    assertArrayEquals(run(backend, plain), run(backend, installed));

    // quantized weights: the model's actBits and 0 ("keep the graph") give the same network
    Model actBits = model(42);
    Model zero = model(42);
    SchemeInstaller.install(actBits, QuantizationScheme.uniform(inv, 6, ACT_BITS));
    SchemeInstaller.install(zero, QuantizationScheme.uniform(inv, 6, 0));
    assertEquals(Map.of(), actBits.activationSpecOverrides());
    assertArrayEquals(run(backend, zero), run(backend, actBits));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"reference", "onednn"})
  void perLayerActivationBitsChangeEvaluation(String backendName) {
    Backend backend = backend(backendName);
    Model model = model(43);
    LayerInventory inv = LayerInventory.of(model.graph());
    SchemeInstaller.install(model, QuantizationScheme.uniform(inv, 8, ACT_BITS));
    float[] uniform = evalLogits(backend, model);

    List<LayerPrecision> layers = new ArrayList<>();
    for (LayerInfo l : inv) {
      int act = switch (l.name()) {
        case "layer1.0.conv2" -> 2;
        case "layer2.0.conv1" -> 32;
        case "layer3.0.conv2" -> 8;
        default -> ACT_BITS;
      };
      layers.add(l.projectionShortcut() ? LayerPrecision.full(l.name()) : LayerPrecision.of(l.name(), 8, act));
    }
    SchemeInstaller.install(model, new QuantizationScheme(layers));
    assertEquals(Map.of("layer1.0.act1", new ActivationSpec(ActivationSpec.Kind.PACT_QUANT, 2),
        "layer1.0.act2", ActivationSpec.relu6(),
        "layer3.0.act1", new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 8)), model.activationSpecOverrides());
    float[] perLayer = evalLogits(backend, model);
    assertFalse(Arrays.equals(uniform, perLayer), "per-layer activation bits must change the logits");

    // installing the uniform scheme again puts every site back to the graph's spec
    SchemeInstaller.install(model, QuantizationScheme.uniform(inv, 8, ACT_BITS));
    assertEquals(Map.of(), model.activationSpecOverrides());
    assertArrayEquals(uniform, evalLogits(backend, model));
  }
}
