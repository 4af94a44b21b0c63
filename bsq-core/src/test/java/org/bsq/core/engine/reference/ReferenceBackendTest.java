package org.bsq.core.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.SoftmaxCrossEntropy;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.param.Parameter;
import org.junit.jupiter.api.Test;

/** Protocol, weight sources, gradient accumulation and determinism of the reference backend. */
class ReferenceBackendTest {
  private static final int BATCH = 4;

  /** Everything a training step produces: logits (train, then eval), gradients and buffers, by name. */
  private static Map<String, float[]> step(ReferenceBackend backend, Model model, float[] x, int[] labels) {
    Map<String, float[]> result = new LinkedHashMap<>();
    model.parameters().zeroGradients();
    try (CompiledNetwork net = backend.compile(model, labels.length)) {
      float[] logits = net.forward(x, true);
      result.put("logits.train", logits.clone());
      float[] dLogits = new float[logits.length];
      SoftmaxCrossEntropy.lossAndGradient(logits, labels, labels.length, model.graph().numClasses(), dLogits);
      net.backward(dLogits);
      result.put("logits.eval", net.forward(x, false).clone());
    }
    for (Parameter p : model.parameters().all()) {
      result.put(p.name(), p.value().clone());
      if (p.trainable()) {
        result.put(p.name() + ".grad", p.grad().clone());
      }
    }
    return result;
  }

  @Test
  void nameAndArgumentChecks() {
    ReferenceBackend backend = new ReferenceBackend();
    assertEquals("reference", backend.name());
    assertEquals(ReferenceBackend.NAME, backend.name());
    assertTrue(backend.parallelism() >= 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> backend.compile(TinyNets.residual(1), 0));
    assertEquals("batch size must be >= 1, was 0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ReferenceBackend(0));
  }

  @Test
  void protocolViolationsAreRejected() {
    Model model = TinyNets.residual(2);
    float[] x = TinyNets.input(model, BATCH, 3);
    CompiledNetwork net = new ReferenceBackend(2).compile(model, BATCH);
    assertEquals(BATCH, net.batchSize());
    assertTrue(net.model() == model);
    float[] g = new float[BATCH * TinyNets.CLASSES];
    assertThrows(IllegalStateException.class, () -> net.backward(g), "backward before any forward");
    net.forward(x, false);
    assertThrows(IllegalStateException.class, () -> net.backward(g), "backward after an eval forward");
    net.forward(x, true);
    assertThrows(IllegalArgumentException.class, () -> net.backward(new float[3]));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.forward(new float[5], true));
    assertEquals("input must have batch x C x H x W = 4 x 3x8x8 = 768 floats, was 5", e.getMessage());
    net.backward(g);
    net.close();
    net.close();
    assertThrows(IllegalStateException.class, () -> net.forward(x, true));
  }

  /** A weight source with its own weights that counts requests and records the gradients it receives. */
  private static final class RecordingSource implements WeightSource {
    final float[] weights;
    final List<float[]> gradients = new ArrayList<>();
    int requests;

    RecordingSource(float[] weights) { this.weights = weights; }

    @Override
    public void weights(float[] dst) {
      requests++;
      System.arraycopy(weights, 0, dst, 0, weights.length);
    }

    @Override
    public void backward(float[] gradient) { gradients.add(gradient.clone()); }
  }

  @Test
  void customWeightSourceSuppliesTheWeightsAndReceivesTheirGradient() {
    ReferenceBackend backend = new ReferenceBackend(2);
    float[] x = TinyNets.input(TinyNets.residual(4), BATCH, 5);
    int[] labels = TinyNets.labels(TinyNets.residual(4), BATCH, 6);
    for (String layer : List.of("b1.conv2", "fc")) {
      Model withSource = TinyNets.residual(4);
      Model twin = TinyNets.residual(4);
      float[] own = twin.parameters().get(layer + ".weight").value();
      Random r = new Random(7);
      for (int i = 0; i < own.length; i++) {
        own[i] = (float) r.nextGaussian() * 0.3f;
      }
      RecordingSource source = new RecordingSource(own.clone());
      withSource.setWeightSource(layer, source);

      Map<String, float[]> a = step(backend, withSource, x, labels);
      Map<String, float[]> b = step(backend, twin, x, labels);
      assertEquals(2, source.requests, layer + ": one request per forward pass (train + eval)");
      assertEquals(1, source.gradients.size(), layer + ": one gradient per backward pass");
      assertArrayEquals(b.get("logits.train"), a.get("logits.train"), 0f, layer + ": the source's weights are used");
      assertArrayEquals(b.get(layer + ".weight.grad"), source.gradients.get(0), 0f, layer + ": dW goes to the source");
      for (float v : a.get(layer + ".weight.grad")) {
        assertEquals(0f, v, 0f, layer + ": the unused weight parameter gets no gradient");
      }
      assertArrayEquals(b.get("conv1.weight.grad"), a.get("conv1.weight.grad"), 0f);
      assertFalse(java.util.Arrays.equals(a.get("logits.train"), step(backend, TinyNets.residual(4), x, labels)
          .get("logits.train")), layer + ": different weights must change the output");
    }
  }

  @Test
  void gradientsAccumulateOverBackwardCalls() {
    ReferenceBackend backend = new ReferenceBackend(2);
    Model model = TinyNets.residual(8);
    float[] x = TinyNets.input(model, BATCH, 9);
    int[] labels = TinyNets.labels(model, BATCH, 10);
    Map<String, float[]> once = step(backend, model, x, labels);

    Model again = TinyNets.residual(8);
    again.parameters().zeroGradients();
    try (CompiledNetwork net = backend.compile(again, BATCH)) {
      float[] logits = net.forward(x, true);
      float[] dLogits = new float[logits.length];
      SoftmaxCrossEntropy.lossAndGradient(logits, labels, BATCH, TinyNets.CLASSES, dLogits);
      net.backward(dLogits);
      net.backward(dLogits); // same forward state, gradients added again
      net.forward(x, true);
      net.backward(dLogits); // a second step without zeroing adds a third time
    }
    int nonZero = 0;
    for (Parameter p : again.parameters().trainable()) {
      float[] g1 = once.get(p.name() + ".grad");
      float[] g3 = p.grad();
      for (int i = 0; i < g1.length; i++) {
        assertEquals(g1[i] + g1[i] + g1[i], g3[i], 0f, p.name() + "[" + i + "]");
        nonZero += g1[i] != 0f ? 1 : 0;
      }
    }
    assertTrue(nonZero > 500, "most gradients must be non-zero, were " + nonZero);
    assertTrue(again.parameters().get("b1.act1.alpha").grad()[0] != 0f, "PACT alpha must receive a gradient");
  }

  @Test
  void resultsAreBitwiseIdenticalAcrossRunsAndThreadCounts() {
    int batch = 9;
    Model reference = TinyNets.residual(11);
    float[] x = TinyNets.input(reference, batch, 12);
    int[] labels = TinyNets.labels(reference, batch, 13);
    Map<String, float[]> expected = step(new ReferenceBackend(1), reference, x, labels);
    for (int threads : new int[] {1, 2, 3, 8}) {
      for (int run = 0; run < 2; run++) {
        Model model = TinyNets.residual(11);
        Map<String, float[]> actual = step(new ReferenceBackend(threads), model, x, labels);
        assertEquals(expected.keySet(), actual.keySet());
        for (String key : expected.keySet()) {
          assertArrayEquals(expected.get(key), actual.get(key), 0f, key + " with " + threads + " threads, run " + run);
        }
      }
    }
  }

  @Test
  void repeatedForwardOnOneNetworkIsStable() {
    Model model = TinyNets.residual(14);
    float[] x = TinyNets.input(model, BATCH, 15);
    try (CompiledNetwork net = new ReferenceBackend(3).compile(model, BATCH)) {
      float[] first = net.forward(x, false).clone();
      float[] second = net.forward(x, false).clone();
      assertArrayEquals(first, second, 0f);
      for (float v : first) {
        assertTrue(Float.isFinite(v));
      }
    }
  }
}
