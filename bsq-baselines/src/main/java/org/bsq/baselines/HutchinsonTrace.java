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
 * Per-layer Hessian traces by Hutchinson's estimator (HAWQ-V2): {@code Tr(H_l) = E[v_l^T (H v)_l]} for a Rademacher
 * vector {@code v} over the weights of every listed layer at once. The cross terms {@code v_l^T H_lk v_k} (k != l) have
 * mean zero because the layers' probes are independent, so one Hessian-vector product per probe serves every layer
 * (as PyHessian, the HAWQ-V2/V3 code, does); they add variance, which the reported standard error includes.
 *
 * <p><b>Loss.</b> Mean softmax cross-entropy over a fixed list of batches (every sample weighted equally).
 *
 * <p><b>Hessian-vector product: central finite differences of gradients</b>,
 * {@code (H v)_l ~ (g(w + E v) - g(w - E v))_l / (2 eps_l)} with {@code E = diag(eps_l)} and
 * {@code eps_l = eps * rms(W_l)}, so that {@code ||eps_l v_l|| = eps * ||W_l||} (a perturbation relative to each
 * layer's weight norm). The engine has no second-order autodiff, so this is the product the engine can give; its
 * error has three parts: (1) truncation {@code O(eps^2)} from the third derivative of the loss (softmax, batch-norm
 * statistics); for ReLU-family activations, units whose pre-activation crosses a kink inside {@code +-eps_l v_l} make
 * the difference see the kink, which an autodiff Hessian ignores; both vanish as {@code eps -> 0}; (2) rounding: the
 * gradients are float32, so their difference carries a relative error of about {@code 1e-7 |g| / (eps_l |H v|)},
 * which grows as {@code eps} shrinks (the default {@code 1e-3} balances the two; the products are accumulated in
 * double); (3) the perturbed weights are float32, so the applied step is {@code fl(w +- eps_l v)} rather than
 * {@code w +- eps_l v}, a relative error of about {@code 6e-8 |w| / eps_l} (about {@code 1e-4} at the default), far
 * below the sampling error of a few hundred probes. The unit tests bound the total against analytic and
 * coordinate-by-coordinate traces.
 *
 * <p><b>Batch norm.</b> The engine back-propagates only through training-mode forward passes, so batch norm normalizes
 * with the statistics of each batch (HAWQ's code uses eval mode, i.e. the running statistics; see
 * docs/strategies/hawq.md). The running statistics that training-mode passes update are restored afterwards, and so
 * are the weights (bit for bit) and the gradients are left zero.
 */
public final class HutchinsonTrace {
  private HutchinsonTrace() {}

  /**
   * How to estimate.
   *
   * @param maxProbes the most Rademacher probes
   * @param tolerance stop early once, for every layer, the running mean moved by at most {@code tolerance} (relative
   *     to its magnitude plus 1e-6) over each of the last {@code window} probes; 0 = always run {@code maxProbes}
   * @param window the number of recent probes the tolerance looks back over
   * @param epsilon the finite-difference step relative to each layer's rms weight
   * @param seconds a wall-clock limit (0 = none); at least one probe always runs
   */
  public record Settings(int maxProbes, double tolerance, int window, double epsilon, double seconds) {
    public Settings {
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
   * @param trace the mean of the probes' {@code v_l^T (H v)_l}
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
      plus[l] = new float[n];
      minus[l] = new float[n];
      signs[l] = new byte[n];
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
        for (int l = 0; l < count; l++) {
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
        gradientDots(networks, batches, samples, weights, plus, signs, dotPlus);
        gradientDots(networks, batches, samples, weights, minus, signs, dotMinus);
        probes++;
        for (int l = 0; l < count; l++) {
          double t = (dotPlus[l] - dotMinus[l]) / (2 * eps[l]);
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
