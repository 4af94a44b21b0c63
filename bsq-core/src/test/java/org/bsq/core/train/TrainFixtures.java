package org.bsq.core.train;

import java.util.SplittableRandom;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;

/** A tiny learnable problem and a few strategy-like test extensions. */
final class TrainFixtures {
  static final int SIZE = 6;
  static final int CLASSES = 2;

  private TrainFixtures() {}

  /** input 1x6x6 -> conv 1->4 k3 p1 -> bn -> relu -> gap -> fc 4->2. */
  static Graph tinyConvGraph() {
    GraphBuilder b = new GraphBuilder("tiny-conv", 1, SIZE, SIZE);
    int x = b.conv("conv1", b.input(), 4, 3, 1, 1);
    x = b.activation("act1", b.batchNorm("bn1", x), ActivationSpec.relu());
    b.linear("fc", b.globalAvgPool(x), CLASSES);
    return b.build();
  }

  static Model tinyConvModel(long seed) {
    Model m = Model.withZeroParameters(tinyConvGraph());
    Initializers.initialize(m, seed);
    return m;
  }

  /**
   * Two synthetic classes: class 0 has vertical stripes, class 1 horizontal stripes, both with noise and a random
   * phase and contrast; labels alternate.
   */
  static InMemoryBatchSource stripes(String name, int samples, int batchSize, long dataSeed, boolean shuffle) {
    SplittableRandom r = new SplittableRandom(dataSeed);
    int sample = SIZE * SIZE;
    float[] images = new float[samples * sample];
    int[] labels = new int[samples];
    for (int s = 0; s < samples; s++) {
      int label = s % 2;
      labels[s] = label;
      int phase = r.nextInt(2);
      double contrast = 0.5 + r.nextDouble();
      for (int y = 0; y < SIZE; y++) {
        for (int x = 0; x < SIZE; x++) {
          int coord = label == 0 ? x : y;
          double v = ((coord + phase) % 2 == 0 ? contrast : -contrast) + 0.3 * (2 * r.nextDouble() - 1);
          images[s * sample + y * SIZE + x] = (float) v;
        }
      }
    }
    return new InMemoryBatchSource(name, images, labels, 1, SIZE, SIZE, CLASSES, batchSize, dataSeed, shuffle);
  }

  /** L2 penalty {@code lambda/2 * sum p^2} over every trainable parameter (gradient {@code lambda * p}). */
  static final class L2Term implements LossTerm {
    final float lambda;
    int calls;

    L2Term(float lambda) {
      this.lambda = lambda;
    }

    @Override public String name() { return "l2"; }

    @Override
    public double addValueAndGradients(StepContext step) {
      calls++;
      double value = 0;
      for (Parameter p : step.parameters().trainable()) {
        float[] w = p.value();
        float[] g = p.grad();
        for (int i = 0; i < w.length; i++) {
          value += 0.5 * lambda * (double) w[i] * w[i];
          g[i] = g[i] + lambda * w[i];
        }
      }
      return value;
    }
  }

  /** Clamps one parameter into [-limit, limit] after every step. */
  static final class ClampHook implements StepHook {
    final String name;
    final float limit;
    long calls;

    ClampHook(String name, float limit) {
      this.name = name;
      this.limit = limit;
    }

    @Override
    public void afterStep(StepContext step) {
      calls++;
      float[] v = step.parameters().get(name).value();
      for (int i = 0; i < v.length; i++) {
        v[i] = Math.max(-limit, Math.min(limit, v[i]));
      }
    }
  }

  /**
   * The fc layer's weights as {@code (s[0] + ... + s[k-1]) * V}, with V = {@code fc.v} (a copy of fc.weight) and the
   * scale parts {@code fc.s} (strategy tensors). Before epoch {@code growAt} the hook replaces {@code fc.s} by one with
   * one more (zero) entry: the function is unchanged, the parameter (and so its optimizer state) is new.
   */
  static final class ScaledFcHook implements EpochHook {
    final int growAt;
    int restores;

    ScaledFcHook(int growAt) {
      this.growAt = growAt;
    }

    @Override
    public void beforeEpoch(EpochContext context) {
      ParameterStore store = context.parameters();
      if (context.epoch() == 0) {
        Parameter w = store.get("fc.weight");
        store.add(new Parameter("fc.v", w.shape(), ParameterRole.STRATEGY, w.value().clone()));
        store.add(new Parameter("fc.s", new int[] {1}, ParameterRole.STRATEGY, new float[] {1f}));
        context.setWeightSource("fc", new ScaledSource(store));
      } else if (context.epoch() == growAt) {
        Parameter s = store.get("fc.s");
        float[] grown = java.util.Arrays.copyOf(s.value(), s.size() + 1);
        store.replace(new Parameter("fc.s", new int[] {grown.length}, ParameterRole.STRATEGY, grown));
      }
    }

    @Override
    public void beforeRestore(EpochContext context, java.util.Map<String, int[]> shapes) {
      restores++;
      ParameterStore store = context.parameters();
      if (shapes.containsKey("fc.v")) {
        store.add(new Parameter("fc.v", shapes.get("fc.v"), ParameterRole.STRATEGY));
        store.add(new Parameter("fc.s", shapes.get("fc.s"), ParameterRole.STRATEGY));
        context.setWeightSource("fc", new ScaledSource(store));
      }
    }
  }

  /** Reads fc.v and fc.s from the store at every call (so a replaced fc.s is seen). */
  static final class ScaledSource implements WeightSource {
    private final ParameterStore store;

    ScaledSource(ParameterStore store) {
      this.store = store;
    }

    private float scale() {
      float s = 0;
      for (float x : store.get("fc.s").value()) {
        s += x;
      }
      return s;
    }

    @Override
    public void weights(float[] dst) {
      float s = scale();
      float[] v = store.get("fc.v").value();
      for (int i = 0; i < v.length; i++) {
        dst[i] = s * v[i];
      }
    }

    @Override
    public void backward(float[] gradient) {
      float s = scale();
      float[] v = store.get("fc.v").value();
      float[] gv = store.get("fc.v").grad();
      double gs = 0;
      for (int i = 0; i < v.length; i++) {
        gv[i] += s * gradient[i];
        gs += (double) v[i] * gradient[i];
      }
      float[] gsArr = store.get("fc.s").grad();
      for (int i = 0; i < gsArr.length; i++) {
        gsArr[i] += (float) gs;
      }
    }
  }
}
