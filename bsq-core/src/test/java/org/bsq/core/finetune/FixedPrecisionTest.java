package org.bsq.core.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.SoftmaxCrossEntropy;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.param.ParameterStore;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.junit.jupiter.api.Test;

class FixedPrecisionTest {

  private static FixedPrecisionWeightSource source(float[] u, float s, int bits) {
    ParameterStore store = new ParameterStore();
    FixedPrecisionWeightSource.install(store, "l", new int[] {u.length}, u, s);
    return new FixedPrecisionWeightSource(store, "l", bits);
  }

  @Test
  void forwardClampsAndRoundsHalfToEvenOnTheGrid() {
    // 2 bits: L = 3. |c| * 3 = 1.5 -> 2 (even), 0.5 -> 0 (even), 2.5 -> 2; values beyond 1 clamp to 1.
    float[] u = {0.5f, 1f / 6f, 2.5f / 3f, 1.7f, -1.7f, -0.5f, 0f};
    FixedPrecisionWeightSource src = source(u, 2f, 2);
    float[] w = new float[u.length];
    src.weights(w);
    assertArrayEquals(new float[] {2f * 2f / 3f, 0f, 2f * 2f / 3f, 2f, -2f, -2f * 2f / 3f, 0f}, w, 1e-7f);
  }

  @Test
  void backwardIsStraightThroughWithTheScaleGradient() {
    float[] u = {0.2f, -0.9f, 3f};
    ParameterStore store = new ParameterStore();
    FixedPrecisionWeightSource.install(store, "l", new int[] {3}, u, 0.5f);
    FixedPrecisionWeightSource src = new FixedPrecisionWeightSource(store, "l", 3);
    float[] w = new float[3];
    src.weights(w);
    float[] g = {1f, 2f, -1f};
    src.backward(g);
    // no clip mask: the clamped third value still gets s * g
    assertArrayEquals(new float[] {0.5f, 1f, -0.5f}, store.get("l.qweight").grad(), 0f);
    double ds = 0;
    for (int i = 0; i < 3; i++) {
      ds += (w[i] / 0.5f) * g[i];
    }
    assertEquals(ds, store.get("l.qscale").grad()[0], 1e-6);
  }

  @Test
  void zeroBitsPruneTheLayer() {
    FixedPrecisionWeightSource src = source(new float[] {0.3f, -1f}, 1f, 0);
    float[] w = {9f, 9f};
    src.weights(w);
    assertArrayEquals(new float[] {0f, 0f}, w, 0f);
    src.backward(new float[] {1f, 1f});
  }

  @Test
  void installingASchemeQuantizesEveryListedLayerAndTrainsNormalizedWeights() {
    Model model = TinyNets.residualFloat(21);
    LayerInventory inv = LayerInventory.of(model.graph());
    float[] x = TinyNets.input(model, 4, 1);
    int[] y = TinyNets.labels(model, 4, 2);
    float[] floatLogits = logits(model, x);

    List<LayerPrecision> layers = new ArrayList<>();
    for (LayerInfo l : inv) {
      layers.add(l.projectionShortcut() ? LayerPrecision.full(l.name()) : LayerPrecision.of(l.name(), 8, 0));
    }
    QuantizationScheme scheme = new QuantizationScheme(layers);
    SchemeInstaller.install(model, scheme);
    float[] q8 = logits(model, x);
    for (int i = 0; i < q8.length; i++) {
      assertEquals(floatLogits[i], q8[i], 0.05 * Math.max(1, Math.abs(floatLogits[i])), "8-bit stays close, logit " + i);
    }
    LayerInfo first = inv.get(0);
    assertFalse(model.parameters().get(first.name() + ".weight").trainable(), "float weights become buffers");
    assertTrue(model.parameters().get(first.name() + ".qweight").trainable());

    // one training step moves the normalized weights, not the float ones
    float[] before = model.parameters().get(first.name() + ".weight").value().clone();
    model.parameters().zeroGradients();
    try (CompiledNetwork net = new ReferenceBackend(1).compile(model, 4)) {
      float[] out = net.forward(x, true);
      float[] grad = new float[out.length];
      SoftmaxCrossEntropy.lossAndGradient(out, y, 4, TinyNets.CLASSES, grad);
      net.backward(grad);
    }
    float[] gq = model.parameters().get(first.name() + ".qweight").grad();
    assertTrue(maxAbs(gq) > 0, "gradient reaches the normalized weights");
    assertArrayEquals(before, model.parameters().get(first.name() + ".weight").value(), 0f);

    // pruning a layer to 0 bits changes the output
    layers.set(0, LayerPrecision.of(first.name(), 0, 0));
    SchemeInstaller.install(model, new QuantizationScheme(layers));
    float[] w = new float[(int) first.weightCount()];
    model.weightSource(first.name()).weights(w);
    assertEquals(0.0, maxAbs(w));
  }

  @Test
  void normalizedWeightsOfTheCurrentSourceAreTakenAsTheyAre() {
    Model model = TinyNets.residualFloat(22);
    LayerInfo l = LayerInventory.of(model.graph()).get(0);
    int n = (int) l.weightCount();
    float[] u = new float[n];
    for (int i = 0; i < n; i++) {
      u[i] = (i % 7 - 3) / 7f;
    }
    class Planes implements WeightSource, NormalizedWeights {
      public void weights(float[] dst) { java.util.Arrays.fill(dst, 0, n, 123f); }
      public void backward(float[] g) {}
      public float[] normalizedWeights() { return u.clone(); }
      public float weightScale() { return 0.25f; }
    }
    model.setWeightSource(l.name(), new Planes());
    List<LayerPrecision> layers = new ArrayList<>();
    for (LayerInfo k : LayerInventory.of(model.graph())) {
      layers.add(k.name().equals(l.name()) ? LayerPrecision.of(k.name(), 3, 0) : LayerPrecision.full(k.name()));
    }
    SchemeInstaller.install(model, new QuantizationScheme(layers));
    assertArrayEquals(u, model.parameters().get(l.name() + ".qweight").value(), 0f);
    assertEquals(0.25f, model.parameters().get(l.name() + ".qscale").value()[0]);
  }

  @Test
  void aFixedPrecisionSourceIsNormalizedWeightsSoReinstallingKeepsItsScale() {
    Model model = TinyNets.residualFloat(23);
    LayerInventory inv = LayerInventory.of(model.graph());
    LayerInfo l = inv.get(1);
    int n = (int) l.weightCount();
    float[] u = new float[n];
    for (int i = 0; i < n; i++) {
      u[i] = (i % 11 - 5) / 4f; // some beyond 1: clamped in the forward, kept unclamped
    }
    int[] shape = l.weightShape().stream().mapToInt(Integer::intValue).toArray();
    FixedPrecisionWeightSource.install(model.parameters(), l.name(), shape, u, 0.125f);
    FixedPrecisionWeightSource src = new FixedPrecisionWeightSource(model.parameters(), l.name(), 2);
    model.setWeightSource(l.name(), src);
    assertArrayEquals(u, src.normalizedWeights(), 0f);
    assertEquals(0.125f, src.weightScale());
    List<LayerPrecision> layers = new ArrayList<>();
    for (LayerInfo k : inv) {
      layers.add(k.projectionShortcut() ? LayerPrecision.full(k.name()) : LayerPrecision.of(k.name(), 4, 0));
    }
    SchemeInstaller.install(model, new QuantizationScheme(layers));
    assertArrayEquals(u, model.parameters().get(l.name() + ".qweight").value(), 0f);
    assertEquals(0.125f, model.parameters().get(l.name() + ".qscale").value()[0]);
    assertEquals(4, ((FixedPrecisionWeightSource) model.weightSource(l.name())).bits(), "the scheme's bits");
  }

  private static float[] logits(Model m, float[] x) {
    try (CompiledNetwork net = new ReferenceBackend(1).compile(m, 4)) {
      return net.forward(x, false).clone();
    }
  }

  private static double maxAbs(float[] v) {
    double m = 0;
    for (float f : v) {
      m = Math.max(m, Math.abs(f));
    }
    return m;
  }
}
