package org.bsq.baselines;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bsq.core.data.Batch;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.SoftmaxCrossEntropy;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.train.CompiledNetworks;

/**
 * Per-layer Hessian traces by Hutchinson's estimator (HAWQ-V2): {@code Tr(H_l) = E[z^T M z]} over Rademacher probes
 * {@code z}, for the mean softmax cross-entropy over a fixed list of batches (every sample weighted equally). Two ways
 * to get the quadratic form ({@link Method}):
 *
 * <p><b>{@link Method#GAUSS_NEWTON} (the default).</b> The generalized Gauss-Newton block
 * {@code G_ll = J_l^T H_z J_l} ({@code J_l}: Jacobian of all logits with respect to layer l's weights; {@code H_z}:
 * Hessian of the loss with respect to the logits, per sample {@code (diag(p) - p p^T) / N}), estimated in output
 * space: with {@code H_z = A A^T} ({@code A_i = (I - p 1^T) diag(sqrt(p)) / sqrt(N)}) and a Rademacher vector
 * {@code r} over (sample, class), one backward pass of {@code dlogits = A r} gives {@code g = J^T A r}, and
 * {@code E ||g_l||^2 = Tr(J_l^T A A^T J_l) = Tr(G_ll)} for every layer at once, without cross-layer terms and without
 * finite differences (no step, no rounding amplification; each probe's value is a non-negative sum of squares). For a
 * network that is linear in each single layer's weights once its ReLU pattern is fixed (convs, linear layers, ReLU
 * family, pooling, additions, batch norm in eval mode), {@code G_ll} is exactly the Hessian block {@code H_ll} that
 * autodiff (PyHessian, HAWQ's code) gives, because {@code d^2 logits / dW_l^2 = 0}. The engine back-propagates only
 * through training-mode passes, so batch norm normalizes with batch statistics, which is not linear in the weights:
 * the estimate then omits the term {@code sum (dL/dz) d^2 z / dW_l^2}, which is weighted by the logit gradient
 * (small at a well-trained point).
 *
 * <p><b>{@link Method#FINITE_DIFFERENCE}.</b> {@code v^T H v} with a Rademacher {@code v} over the weights of every
 * listed layer at once, {@code (H v)_l ~ (g(w + E v) - g(w - E v))_l / (2 eps_l)} (central differences of gradients,
 * {@code E = diag(eps_l)}, {@code eps_l = eps * rms(W_l)}, products accumulated in double). The cross terms
 * {@code v_l^T H_lk v_k} have mean zero but add variance. Error: truncation {@code O(eps^2)}; float32 rounding of
 * the gradients amplified by {@code 1 / eps}; and, for ReLU-family networks, every unit whose pre-activation crosses a
 * kink inside the step adds a gradient jump divided by {@code 2 eps}: with many units these do not vanish as
 * {@code eps -> 0} (the count of crossings shrinks like eps, their weight grows like 1 / eps), so the differences
 * measure the curvature of the loss smoothed over the step, not the autodiff Hessian. On the pretrained ResNet-20 the
 * per-probe values of conv layers change sign between eps = 1e-1 and 1e-3 (docs/strategies/hawq.md); use it only for
 * smooth networks. Exact for smooth losses up to the {@code O(eps^2)} and rounding terms (unit-tested).
 *
 * <p>Afterwards the weights (bit for bit) and the batch-norm running statistics that training-mode passes update are
 * restored, and the gradients are left zero.
 */
public final class HutchinsonTrace {
  private HutchinsonTrace() {}

  /** How the quadratic form of a probe is computed (see the class comment). */
  public enum Method {
    /** Output-space probes of the generalized Gauss-Newton matrix: one forward and backward pass per batch. */
    GAUSS_NEWTON("gauss-newton"),
    /** Weight-space probes, Hessian-vector products by central differences: two passes per batch. */
    FINITE_DIFFERENCE("finite-difference");

    private final String label;

    Method(String label) {
      this.label = label;
    }

    /** The name in configs. */
    public String label() { return label; }

    /** The method named {@code label}; an unknown name fails listing the known ones. */
    public static Method of(String label) {
      for (Method m : values()) {
        if (m.label.equals(label)) {
          return m;
        }
      }
      throw new IllegalArgumentException("Hessian method must be one of " + labels() + ", was '" + label + "'");
    }

    /** Every config name. */
    public static List<String> labels() {
      return java.util.Arrays.stream(values()).map(Method::label).toList();
    }
  }

  /**
   * How to estimate.
   *
   * @param method how a probe's quadratic form is computed
   * @param maxProbes the most Rademacher probes
   * @param tolerance stop early once, for every layer, the running mean moved by at most {@code tolerance} (relative
   *     to its magnitude plus 1e-6) over each of the last {@code window} probes; 0 = always run {@code maxProbes}
   * @param window the number of recent probes the tolerance looks back over
   * @param epsilon the finite-difference step relative to each layer's rms weight (finite differences only)
   * @param seconds a wall-clock limit (0 = none); at least one probe always runs
   */
  public record Settings(Method method, int maxProbes, double tolerance, int window, double epsilon, double seconds) {
    public Settings {
      if (method == null) {
        throw new IllegalArgumentException("Hutchinson settings must name a method, was null");
      }
      if (maxProbes < 1 || !(tolerance >= 0) || window < 1 || !(epsilon > 0) || !(seconds >= 0)) {
        throw new IllegalArgumentException("Hutchinson settings must have maxProbes >= 1, tolerance >= 0, window >= 1, "
            + "epsilon > 0, seconds >= 0, was " + maxProbes + ", " + tolerance + ", " + window + ", " + epsilon + ", "
            + seconds);
      }
    }
  }

  /**
   * One layer's estimate.
   *
   * @param layer the layer name
   * @param weights the number of weights
   * @param trace the mean of the probes' quadratic forms
   * @param standardError the sample standard deviation over the square root of the probes (0 with one probe)
   * @param probes the probes used
   * @param runningMeans the running mean after each probe
   */
  public record LayerTrace(String layer, int weights, double trace, double standardError, int probes,
                           List<Double> runningMeans) {}

  /**
   * The estimate of every layer.
   *
   * @param layers per layer, in the order asked
   * @param probes the probes run
   * @param seconds the wall-clock time
   * @param stopReason {@code converged}, {@code max probes} or {@code time limit}
   * @param samples the samples of the fixed batches
   */
  public record Result(List<LayerTrace> layers, int probes, double seconds, String stopReason, int samples) {}

  /**
   * Estimates the traces of the Hessian blocks of {@code layers} (conv or linear layers whose weight source is their
   * float parameter {@code <layer>.weight}) of the mean cross-entropy over {@code batches}.
   */
  public static Result estimate(CompiledNetworks networks, List<Batch> batches, List<String> layers, Settings settings,
                                SplittableRandom random) {
    long start = System.nanoTime();
    Model model = networks.model();
    if (batches.isEmpty()) {
      throw new IllegalArgumentException("Hessian batches must not be empty");
    }
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("Hessian layers must not be empty");
    }
    int count = layers.size();
    Parameter[] weights = new Parameter[count];
    float[][] original = new float[count][];
    float[][] plus = new float[count][];
    float[][] minus = new float[count][];
    byte[][] signs = new byte[count][];
    double[] eps = new double[count];
    for (int l = 0; l < count; l++) {
      String name = layers.get(l);
      if (model.weightSourceBindings().containsKey(name)) {
        throw new IllegalStateException("layer '" + name + "' must use its float weights for the Hessian, but has a "
            + "bound weight source " + model.weightSourceBindings().get(name).getClass().getSimpleName());
      }
      weights[l] = model.parameters().get(name + ".weight");
      original[l] = weights[l].value().clone();
      int n = original[l].length;
      if (settings.method() == Method.FINITE_DIFFERENCE) {
        plus[l] = new float[n];
        minus[l] = new float[n];
        signs[l] = new byte[n];
      }
      double sq = 0;
      for (float w : original[l]) {
        sq += (double) w * w;
      }
      double rms = Math.sqrt(sq / n);
      eps[l] = settings.epsilon() * (rms > 0 ? rms : 1.0);
    }
    int samples = 0;
    for (Batch b : batches) {
      samples += b.size();
    }
    List<Parameter> runningStats = new ArrayList<>();
    List<float[]> runningStatValues = new ArrayList<>();
    for (Parameter p : model.parameters().all()) {
      if (p.role() == ParameterRole.BN_RUNNING_STAT) {
        runningStats.add(p);
        runningStatValues.add(p.value().clone());
      }
    }
    double[] sum = new double[count];
    double[] sumSq = new double[count];
    List<List<Double>> means = new ArrayList<>();
    for (int l = 0; l < count; l++) {
      means.add(new ArrayList<>());
    }
    double[] dotPlus = new double[count];
    double[] dotMinus = new double[count];
    int probes = 0;
    String stop = "max probes";
    try {
      while (probes < settings.maxProbes()) {
        for (int l = 0; l < count && settings.method() == Method.FINITE_DIFFERENCE; l++) {
          byte[] v = signs[l];
          float[] w = original[l];
          for (int i = 0; i < v.length; i += 64) {
            long bits = random.nextLong();
            int end = Math.min(v.length, i + 64);
            for (int j = i; j < end; j++, bits >>>= 1) {
              v[j] = (bits & 1L) == 0 ? (byte) 1 : (byte) -1;
            }
          }
          float e = (float) eps[l];
          for (int i = 0; i < v.length; i++) {
            plus[l][i] = w[i] + e * v[i];
            minus[l][i] = w[i] - e * v[i];
          }
        }
        if (settings.method() == Method.GAUSS_NEWTON) {
          gaussNewtonProbe(networks, batches, samples, weights, random, dotPlus);
          java.util.Arrays.fill(dotMinus, 0);
        } else {
          gradientDots(networks, batches, samples, weights, plus, signs, dotPlus);
          gradientDots(networks, batches, samples, weights, minus, signs, dotMinus);
        }
        probes++;
        for (int l = 0; l < count; l++) {
          double t = settings.method() == Method.GAUSS_NEWTON ? dotPlus[l]
              : (dotPlus[l] - dotMinus[l]) / (2 * eps[l]);
          sum[l] += t;
          sumSq[l] += t * t;
          means.get(l).add(sum[l] / probes);
        }
        if (settings.tolerance() > 0 && probes > settings.window() && converged(means, probes, settings)) {
          stop = "converged";
          break;
        }
        if (settings.seconds() > 0 && (System.nanoTime() - start) / 1e9 >= settings.seconds()) {
          stop = probes < settings.maxProbes() ? "time limit" : stop;
          break;
        }
      }
    } finally {
      for (int l = 0; l < count; l++) {
        System.arraycopy(original[l], 0, weights[l].value(), 0, original[l].length);
      }
      for (int i = 0; i < runningStats.size(); i++) {
        float[] v = runningStatValues.get(i);
        System.arraycopy(v, 0, runningStats.get(i).value(), 0, v.length);
      }
      model.parameters().zeroGradients();
    }
    List<LayerTrace> out = new ArrayList<>();
    for (int l = 0; l < count; l++) {
      double mean = sum[l] / probes;
      double se = 0;
      if (probes > 1) {
        double var = Math.max(0, (sumSq[l] - probes * mean * mean) / (probes - 1));
        se = Math.sqrt(var / probes);
      }
      out.add(new LayerTrace(layers.get(l), original[l].length, mean, se, probes, List.copyOf(means.get(l))));
    }
    return new Result(List.copyOf(out), probes, (System.nanoTime() - start) / 1e9, stop, samples);
  }

  /**
   * One output-space probe: per batch a training-mode forward pass, {@code dlogits_i = A_i r_i} with a Rademacher
   * {@code r_i} over the classes, one backward pass; writes {@code ||g_l||^2} (in double) into {@code out}.
   */
  private static void gaussNewtonProbe(CompiledNetworks networks, List<Batch> batches, int samples,
                                       Parameter[] weights, SplittableRandom random, double[] out) {
    Model model = networks.model();
    model.parameters().zeroGradients();
    int classes = model.graph().numClasses();
    double norm = 1.0 / Math.sqrt(samples);
    double[] root = new double[classes];
    double[] sign = new double[classes];
    for (Batch b : batches) {
      int n = b.size();
      CompiledNetwork net = networks.forBatchSize(n);
      float[] logits = net.forward(networks.input(n, b.images()), true);
      float[] grad = networks.logitsGradient(n);
      java.util.Arrays.fill(grad, 0f);
      for (int i = 0; i < n; i++) {
        int off = i * classes;
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
          max = Math.max(max, logits[off + c]);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
          sum += Math.exp(logits[off + c] - max);
        }
        // u_c = sqrt(p_c) r_c - p_c * sum_k sqrt(p_k) r_k, scaled by 1 / sqrt(N): covariance H_z of the sample.
        double dot = 0;
        long bits = 0;
        for (int c = 0; c < classes; c++) {
          if ((c & 63) == 0) {
            bits = random.nextLong();
          }
          sign[c] = ((bits >>> (c & 63)) & 1L) == 0 ? 1 : -1;
          root[c] = Math.sqrt(Math.exp(logits[off + c] - max) / sum);
          dot += root[c] * sign[c];
        }
        for (int c = 0; c < classes; c++) {
          grad[off + c] = (float) ((root[c] * sign[c] - root[c] * root[c] * dot) * norm);
        }
      }
      net.backward(grad);
    }
    for (int l = 0; l < weights.length; l++) {
      float[] g = weights[l].grad();
      double d = 0;
      for (float v : g) {
        d += (double) v * v;
      }
      out[l] = d;
    }
  }

  private static boolean converged(List<List<Double>> means, int probes, Settings s) {
    for (List<Double> m : means) {
      double now = m.get(probes - 1);
      double scale = Math.abs(now) + 1e-6;
      for (int k = probes - 1 - s.window(); k < probes - 1; k++) {
        if (Math.abs(now - m.get(k)) > s.tolerance() * scale) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Sets the layers' weights to {@code values}, computes the gradient of the mean loss over the batches and writes
   * {@code v_l . g_l} (in double) into {@code dots}.
   */
  private static void gradientDots(CompiledNetworks networks, List<Batch> batches, int samples, Parameter[] weights,
                                   float[][] values, byte[][] signs, double[] dots) {
    Model model = networks.model();
    for (int l = 0; l < weights.length; l++) {
      System.arraycopy(values[l], 0, weights[l].value(), 0, values[l].length);
    }
    model.parameters().zeroGradients();
    int classes = model.graph().numClasses();
    for (Batch b : batches) {
      int n = b.size();
      CompiledNetwork net = networks.forBatchSize(n);
      float[] logits = net.forward(networks.input(n, b.images()), true);
      float[] grad = networks.logitsGradient(n);
      SoftmaxCrossEntropy.lossAndGradient(logits, b.labels(), n, classes, grad);
      float share = (float) n / samples;
      if (share != 1f) {
        for (int i = 0; i < grad.length; i++) {
          grad[i] *= share;
        }
      }
      net.backward(grad);
    }
    for (int l = 0; l < weights.length; l++) {
      float[] g = weights[l].grad();
      byte[] v = signs[l];
      double d = 0;
      for (int i = 0; i < g.length; i++) {
        d += v[i] * (double) g[i];
      }
      dots[l] = d;
    }
  }
}
