package org.bsq.core.finetune;

import org.bsq.core.engine.WeightSource;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;

/**
 * A layer trained at a fixed precision (BSQ's finetuning phase, docs/algorithm.md section 10; also quantization-aware
 * training of any scheme). The layer keeps float weights in normalized units {@code u} ({@code <layer>.qweight}, the
 * weight shape) and a scale {@code s} ({@code <layer>.qscale}, shape [1]), both trainable
 * ({@link ParameterRole#STRATEGY}).
 *
 * <p>Forward: {@code c = clamp(u, -1, 1)}, {@code q = rint(|c| * L) / L * sign(c)} with {@code L = 2^bits - 1}
 * (half-to-even), {@code W = q * s}; 0 bits give {@code W = 0} (a pruned layer). Backward (straight-through, no clip
 * mask, as the reference's STE): {@code dL/du = s * dL/dW}, {@code dL/ds = sum(q * dL/dW)}; a 0-bit layer receives no
 * gradient.
 *
 * <p>It is also {@link NormalizedWeights} (its current {@code u} and {@code s}), so installing a scheme over a layer
 * bound to such a source ({@link SchemeInstaller}, the harness) keeps a strategy's calibrated clip {@code s} and its
 * {@code u} instead of re-deriving {@code s = max|W|} from the quantized weights.
 */
public final class FixedPrecisionWeightSource implements WeightSource, NormalizedWeights {
  private final ParameterStore store;
  private final String layer;
  private final int bits;
  private final float levels;
  private float[] q = new float[0];

  /** A source over existing {@code <layer>.qweight} / {@code <layer>.qscale} parameters of {@code store}. */
  public FixedPrecisionWeightSource(ParameterStore store, String layer, int bits) {
    if (bits < 0 || bits > 16) {
      throw new IllegalArgumentException("fixed precision of layer '" + layer + "' must be in [0, 16] bits, was " + bits);
    }
    this.store = store;
    this.layer = layer;
    this.bits = bits;
    this.levels = (float) ((1 << bits) - 1);
    store.get(weightName(layer));
    store.get(scaleName(layer));
  }

  public static String weightName(String layer) { return layer + ".qweight"; }

  public static String scaleName(String layer) { return layer + ".qscale"; }

  /** Whether a parameter name is one of the tensors this source trains. */
  public static boolean isOwnTensor(String name) {
    return name.endsWith(".qweight") || name.endsWith(".qscale");
  }

  public int bits() { return bits; }

  public String layer() { return layer; }

  /**
   * Adds the parameters of a fixed-precision layer to {@code store}, starting from normalized values and a scale
   * (replacing earlier ones of the same name).
   */
  public static void install(ParameterStore store, String layer, int[] shape, float[] normalized, float scale) {
    Parameter u = new Parameter(weightName(layer), shape, ParameterRole.STRATEGY, normalized.clone());
    Parameter s = new Parameter(scaleName(layer), new int[] {1}, ParameterRole.STRATEGY, new float[] {scale});
    for (Parameter p : new Parameter[] {u, s}) {
      if (store.contains(p.name())) {
        store.replace(p);
      } else {
        store.add(p);
      }
    }
  }

  /**
   * Normalized values of float weights: {@code s = max|W|}, {@code u = W / s} (all zero, scale 0, when W is 0).
   * This is "train from scratch with the same scheme": the float model quantized to the scheme.
   */
  public static float[] normalize(float[] w, float[] scaleOut) {
    float s = 0f;
    for (float v : w) {
      s = Math.max(s, Math.abs(v));
    }
    float[] u = new float[w.length];
    if (s > 0f) {
      for (int i = 0; i < w.length; i++) {
        u[i] = w[i] / s;
      }
    }
    scaleOut[0] = s;
    return u;
  }

  @Override
  public void weights(float[] dst) {
    float[] u = store.get(weightName(layer)).value();
    float s = store.get(scaleName(layer)).value()[0];
    if (q.length != u.length) {
      q = new float[u.length];
    }
    if (bits == 0) {
      java.util.Arrays.fill(q, 0f);
      java.util.Arrays.fill(dst, 0, u.length, 0f);
      return;
    }
    for (int i = 0; i < u.length; i++) {
      float v = quantize(u[i], levels);
      q[i] = v;
      dst[i] = v * s;
    }
  }

  /**
   * The forward quantizer on one normalized value: {@code c = clamp(u, -1, 1)}, {@code rint(|c| * levels) / levels *
   * sign(c)} (in float, exactly as {@link #weights} computes it).
   *
   * @param levels {@code 2^bits - 1}
   */
  public static float quantize(float u, float levels) {
    float c = Math.max(-1f, Math.min(1f, u));
    float r = (float) Math.rint(Math.abs(c) * levels) / levels;
    return c > 0f ? r : (c < 0f ? -r : 0f);
  }

  /** The current normalized weights {@code u} of the store (unclamped; a copy). */
  @Override
  public float[] normalizedWeights() {
    return store.get(weightName(layer)).value().clone();
  }

  /** The current scale {@code s} of the store. */
  @Override
  public float weightScale() {
    return store.get(scaleName(layer)).value()[0];
  }

  @Override
  public void backward(float[] gradient) {
    if (bits == 0) {
      return;
    }
    Parameter u = store.get(weightName(layer));
    Parameter sp = store.get(scaleName(layer));
    float s = sp.value()[0];
    float[] du = u.grad();
    double ds = 0;
    for (int i = 0; i < du.length; i++) {
      du[i] += s * gradient[i];
      ds += (double) q[i] * gradient[i];
    }
    sp.grad()[0] += (float) ds;
  }
}
