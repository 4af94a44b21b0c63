package org.bsq.core.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.bsq.core.graph.Op;
import org.bsq.core.param.Parameter;

/**
 * Finite-difference gradient checks of a {@link Backend} on tiny models, for the mean softmax cross-entropy loss
 * ({@link SoftmaxCrossEntropy}) of one training-mode batch.
 *
 * <p>Two groups are checked: every selected trainable parameter of the store (perturbing its value), and, unless
 * {@link Options#checkWeightSources()} is off, the effective weights of every conv and linear layer as handed to the
 * weight sources (then the layers' {@code .weight} parameters themselves are not perturbed) (the layer is temporarily bound to a fixed
 * copy of its current weights that records the dL/dW it receives). Each element is compared with the central
 * difference {@code (L(v+e) - L(v-e)) / (v+e - (v-e))}, computed in double from the float logits with the actually
 * representable perturbation. Elements outside the tolerance where the loss has a kink inside {@code [v-e, v+e]} (ReLU
 * boundaries), recognised by one-sided differences that disagree by more than the tolerance or by central differences
 * at {@code e} and {@code e/2} that disagree by more than half of it, are counted as skipped instead of failed; callers
 * should bound the skipped fraction.
 *
 * <p>The check zeroes the store's gradients, leaves the analytic gradients of one backward pass in them, restores every
 * value it perturbed, every non-trainable buffer (running statistics) and every weight-source binding. Activation
 * quantizers make the loss piecewise constant; check them by their straight-through semantics instead.
 */
public final class GradientCheck {
  private GradientCheck() {}

  /**
   * Tuning of a check.
   *
   * @param epsilon perturbation, relative to {@code max(1, |v|)}
   * @param relTol relative tolerance
   * @param absTol absolute tolerance: an element passes when {@code |a - n| <= absTol + relTol * max(|a|, |n|)}
   * @param parameters which store parameters to check (by name)
   * @param checkWeightSources whether to check the dL/dW handed to the weight sources too
   */
  public record Options(double epsilon, double relTol, double absTol, Predicate<String> parameters,
      boolean checkWeightSources) {
    /** Defaults suited to float32 networks of a few hundred parameters: e=1e-3, 2% relative, 2e-4 absolute. */
    public static Options defaults() {
      return new Options(1e-3, 2e-2, 2e-4, name -> true, true);
    }

    public Options withParameters(Predicate<String> selection) {
      return new Options(epsilon, relTol, absTol, selection, checkWeightSources);
    }

    public Options withWeightSources(boolean check) {
      return new Options(epsilon, relTol, absTol, parameters, check);
    }

    public Options withTolerances(double eps, double rel, double abs) {
      return new Options(eps, rel, abs, parameters, checkWeightSources);
    }
  }

  /** One compared element; {@code tensor} is a parameter name or {@code "source:<layer>"}. */
  public record Element(String tensor, int index, double analytic, double numeric) {
    @Override
    public String toString() {
      return tensor + "[" + index + "]: analytic " + analytic + ", numeric " + numeric;
    }
  }

  /**
   * Outcome of a check.
   *
   * @param checked elements compared
   * @param skippedAtKinks elements skipped because the loss has a kink inside the perturbation
   * @param mismatches elements outside the tolerance (at most 20 are kept)
   * @param mismatchCount number of elements outside the tolerance
   * @param maxAbsAnalytic largest |analytic gradient| seen (to show the check was not vacuous)
   * @param loss the unperturbed loss
   */
  public record Report(int checked, int skippedAtKinks, List<Element> mismatches, int mismatchCount,
      double maxAbsAnalytic, double loss) {
    public boolean passed() { return mismatchCount == 0; }

    public String summary() {
      return "checked " + checked + ", skipped at kinks " + skippedAtKinks + ", mismatches " + mismatchCount
          + ", max |analytic| " + maxAbsAnalytic + ", loss " + loss + (mismatches.isEmpty() ? "" : ", first: "
          + mismatches);
    }
  }

  /** Mean softmax cross-entropy loss of one training-mode forward pass. */
  public static double loss(CompiledNetwork net, float[] input, int[] labels) {
    float[] logits = net.forward(input, true);
    return SoftmaxCrossEntropy.lossAndGradient(logits, labels, net.batchSize(), net.model().graph().numClasses(),
        null);
  }

  /** Checks with {@link Options#defaults()}. */
  public static Report check(Backend backend, Model model, float[] input, int[] labels) {
    return check(backend, model, input, labels, Options.defaults());
  }

  /** Compiles {@code model} for {@code labels.length} samples and compares analytic and numeric gradients. */
  public static Report check(Backend backend, Model model, float[] input, int[] labels, Options options) {
    int batch = labels.length;
    int classes = model.graph().numClasses();
    Map<String, float[]> buffers = new HashMap<>();
    for (Parameter p : model.parameters().all()) {
      if (!p.trainable()) {
        buffers.put(p.name(), p.value().clone());
      }
    }
    List<String> layers = new ArrayList<>();
    for (Op op : model.graph().ops()) {
      if (op instanceof Op.Conv2d c) layers.add(c.name());
      if (op instanceof Op.Linear l) layers.add(l.name());
    }
    Map<String, WeightSource> original = new HashMap<>();
    Map<String, Recording> recording = new HashMap<>();
    if (options.checkWeightSources()) {
      for (String layer : layers) {
        WeightSource src = model.weightSource(layer);
        original.put(layer, src);
        int size = weightSize(model, layer);
        float[] w = new float[size];
        src.weights(w);
        Recording rec = new Recording(w);
        recording.put(layer, rec);
        model.setWeightSource(layer, rec);
      }
    }
    Tally tally = new Tally();
    try (CompiledNetwork net = backend.compile(model, batch)) {
      model.parameters().zeroGradients();
      float[] logits = net.forward(input, true);
      float[] dLogits = new float[logits.length];
      tally.loss = SoftmaxCrossEntropy.lossAndGradient(logits, labels, batch, classes, dLogits);
      net.backward(dLogits);
      for (Parameter p : model.parameters().all()) {
        if (!p.trainable() || !options.parameters().test(p.name())
            || (options.checkWeightSources() && layers.contains(p.name().replaceFirst("\\.weight$", ""))
                && p.name().endsWith(".weight"))) {
          continue; // a weight layer's .weight is checked through its (temporarily bound) weight source
        }
        float[] analytic = p.grad().clone();
        compare(net, input, labels, p.name(), p.value(), analytic, options, tally);
      }
      for (String layer : layers) {
        Recording rec = recording.get(layer);
        if (rec != null) {
          compare(net, input, labels, "source:" + layer, rec.weights, rec.gradient.clone(), options, tally);
        }
      }
    } finally {
      if (options.checkWeightSources()) {
        for (String layer : layers) {
          WeightSource src = original.get(layer);
          if (src instanceof ParameterWeightSource pws && model.parameters().contains(layer + ".weight")
              && pws.parameter() == model.parameters().get(layer + ".weight")) {
            model.clearWeightSource(layer);
          } else {
            model.setWeightSource(layer, src);
          }
        }
      }
      buffers.forEach((name, v) -> System.arraycopy(v, 0, model.parameters().get(name).value(), 0, v.length));
    }
    return new Report(tally.checked, tally.skipped, List.copyOf(tally.mismatches), tally.mismatchCount,
        tally.maxAbs, tally.loss);
  }

  private static int weightSize(Model model, String layer) {
    for (Op op : model.graph().ops()) {
      if (op instanceof Op.Conv2d c && c.name().equals(layer)) {
        int in = model.graph().shape(c.input()).channels();
        return c.outChannels() * in * c.kernel() * c.kernel();
      }
      if (op instanceof Op.Linear l && l.name().equals(layer)) {
        return l.outFeatures() * model.graph().shape(l.input()).size();
      }
    }
    throw new IllegalArgumentException("weight layer must exist, was '" + layer + "'");
  }

  private static void compare(CompiledNetwork net, float[] input, int[] labels, String tensor, float[] values,
      float[] analytic, Options options, Tally tally) {
    for (int i = 0; i < values.length; i++) {
      float v = values[i];
      double e = options.epsilon() * Math.max(1.0, Math.abs(v));
      float plus = (float) (v + e);
      float minus = (float) (v - e);
      values[i] = plus;
      double lPlus = loss(net, input, labels);
      values[i] = minus;
      double lMinus = loss(net, input, labels);
      values[i] = v;
      double numeric = (lPlus - lMinus) / ((double) plus - minus);
      double a = analytic[i];
      tally.maxAbs = Math.max(tally.maxAbs, Math.abs(a));
      double tol = options.absTol() + options.relTol() * Math.max(Math.abs(a), Math.abs(numeric));
      if (Math.abs(a - numeric) <= tol) {
        tally.checked++;
        continue;
      }
      // Not within tolerance: is there a kink in [v-e, v+e]? Smooth functions have agreeing one-sided differences
      // and agreeing central differences at e and e/2.
      double l0 = loss(net, input, labels);
      double right = (lPlus - l0) / ((double) plus - v);
      double left = (l0 - lMinus) / ((double) v - minus);
      float halfPlus = (float) (v + e / 2);
      float halfMinus = (float) (v - e / 2);
      values[i] = halfPlus;
      double lHalfPlus = loss(net, input, labels);
      values[i] = halfMinus;
      double lHalfMinus = loss(net, input, labels);
      values[i] = v;
      double numericHalf = (lHalfPlus - lHalfMinus) / ((double) halfPlus - halfMinus);
      if (Math.abs(right - left) > tol || Math.abs(numericHalf - numeric) > tol / 2) {
        tally.skipped++;
        continue;
      }
      tally.checked++;
      tally.mismatchCount++;
      if (tally.mismatches.size() < 20) {
        tally.mismatches.add(new Element(tensor, i, a, numeric));
      }
    }
  }

  private static final class Tally {
    int checked;
    int skipped;
    int mismatchCount;
    double maxAbs;
    double loss;
    final List<Element> mismatches = new ArrayList<>();
  }

  /** Serves fixed weights (perturbed in place by the check) and records the last gradient it receives. */
  private static final class Recording implements WeightSource {
    final float[] weights;
    final float[] gradient;

    Recording(float[] weights) {
      this.weights = weights;
      this.gradient = new float[weights.length];
    }

    @Override
    public void weights(float[] dst) {
      System.arraycopy(weights, 0, dst, 0, weights.length);
    }

    @Override
    public void backward(float[] g) {
      System.arraycopy(g, 0, gradient, 0, g.length);
    }
  }
}
