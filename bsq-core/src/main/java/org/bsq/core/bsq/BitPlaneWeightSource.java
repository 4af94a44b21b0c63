package org.bsq.core.bsq;

import java.util.Arrays;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;

/**
 * The weights of one conv or linear layer in BSQ's bit representation, as a {@link WeightSource}. Its tensors are
 * {@link ParameterRole#STRATEGY} parameters of the model's store (so the optimizer, checkpoints and resume see them):
 * <ul>
 *   <li>{@code <layer>.pweight}, {@code <layer>.nweight}: the planes, shape {@code weightShape + [N]} (conv
 *   {@code [O, I, kh, kw, N]}, linear {@code [out, in, N]}), element-major, MSB first;</li>
 *   <li>{@code <layer>.scale}: shape {@code [1]};</li>
 *   <li>for a linear layer with bias: {@code <layer>.pbias}, {@code <layer>.nbias} ({@code [out, bN]}) and
 *   {@code <layer>.biasscale} ({@code [1]}).</li>
 * </ul>
 * The number of bits is the planes' last dimension, so the store alone describes the state (checkpoints restore it).
 *
 * <p><b>Forward</b> ({@link #weights}): {@code W = bit_STE(sum_i (p_i - n_i) exps[i]) * scale} ({@link BitMath#reconstruct}).
 * <b>Backward</b>: the straight-through gradient into the planes and {@code sum(q * dL/dW)} into the scale.
 *
 * <p><b>The linear bias.</b> The engine reads a linear layer's bias from the float parameter {@code <layer>.bias} and
 * accumulates dL/db into its gradient before it calls {@link #backward} (both backends). This source therefore writes
 * the reconstructed bias into {@code <layer>.bias}'s value on every {@link #weights} call, and in {@link #backward}
 * moves the accumulated dL/db from {@code <layer>.bias}'s gradient into the bias planes and {@code biasscale} (leaving
 * that gradient zero). The optimizer still visits {@code <layer>.bias} (weight decay changes its value), which has no
 * effect because the next forward overwrites it. No engine change is needed.
 */
public final class BitPlaneWeightSource implements WeightSource, org.bsq.core.finetune.NormalizedWeights {
  private final ParameterStore store;
  private final String layer;
  private final int[] weightShape;
  private final int count;
  private final int biasCount;
  private final float[] q;
  private final float[] qBias;
  private final float[] biasGradient;

  /**
   * A source over existing plane parameters of {@code store}.
   *
   * @param weightShape the layer's weight shape (OIHW or {@code [out, in]})
   * @param biasCount number of bias values represented in bits (0: none)
   */
  public BitPlaneWeightSource(ParameterStore store, String layer, int[] weightShape, int biasCount) {
    this.store = store;
    this.layer = layer;
    this.weightShape = weightShape.clone();
    long c = 1;
    for (int d : weightShape) {
      c *= d;
    }
    this.count = Math.toIntExact(c);
    if (biasCount < 0) {
      throw new IllegalArgumentException("bias count of layer '" + layer + "' must be >= 0, was " + biasCount);
    }
    this.biasCount = biasCount;
    this.q = new float[count];
    this.qBias = new float[biasCount];
    this.biasGradient = new float[biasCount];
  }

  // ------------------------------------------------------------------------------------------------ names

  public static String pweightName(String layer) { return layer + ".pweight"; }

  public static String nweightName(String layer) { return layer + ".nweight"; }

  public static String scaleName(String layer) { return layer + ".scale"; }

  public static String pbiasName(String layer) { return layer + ".pbias"; }

  public static String nbiasName(String layer) { return layer + ".nbias"; }

  public static String biasscaleName(String layer) { return layer + ".biasscale"; }

  /** The float bias parameter the engine reads ({@code <layer>.bias}). */
  public static String floatBiasName(String layer) { return layer + ".bias"; }

  public String layer() { return layer; }

  public int[] weightShape() { return weightShape.clone(); }

  /** Number of weights. */
  public int weightCount() { return count; }

  /** Number of bias values in bit representation (0: none). */
  public int biasCount() { return biasCount; }

  public boolean hasBias() { return biasCount > 0; }

  /** Current weight precision (the planes' last dimension). */
  public int bits() { return lastDim(store.get(pweightName(layer))); }

  /** Current bias precision, 0 without bias. */
  public int biasBits() { return hasBias() ? lastDim(store.get(pbiasName(layer))) : 0; }

  private static int lastDim(Parameter p) {
    int[] s = p.shape();
    return s[s.length - 1];
  }

  /**
   * The unclamped bit sums {@code u = sum_i (p_i - n_i) exps[i]} (sequential, MSB first), where fixed-precision
   * finetuning starts (as the reference's {@code to_finetune()}).
   */
  @Override
  public float[] normalizedWeights() {
    int bits = bits();
    float[] e = BitMath.exps(bits);
    float[] p = store.get(pweightName(layer)).value();
    float[] n = store.get(nweightName(layer)).value();
    float[] u = new float[count];
    for (int k = 0; k < count; k++) {
      u[k] = BitMath.bitSum(p, n, k * bits, bits, e);
    }
    return u;
  }

  @Override
  public float weightScale() { return store.get(scaleName(layer)).value()[0]; }

  /** The weight planes (wrapping the live parameter arrays). */
  public BitPlanes weightPlanes() {
    return new BitPlanes(count, bits(), store.get(scaleName(layer)).value()[0], store.get(pweightName(layer)).value(),
        store.get(nweightName(layer)).value());
  }

  /** The bias planes (wrapping the live parameter arrays); throws without bias. */
  public BitPlanes biasPlanes() {
    if (!hasBias()) {
      throw new IllegalStateException("layer '" + layer + "' has no bias in bit representation");
    }
    return new BitPlanes(biasCount, biasBits(), store.get(biasscaleName(layer)).value()[0],
        store.get(pbiasName(layer)).value(), store.get(nbiasName(layer)).value());
  }

  // ------------------------------------------------------------------------------------------------ state changes

  /**
   * Adds the plane parameters for the given planes to the store (they must not exist yet).
   */
  void addParameters(BitPlanes weights, BitPlanes bias) {
    store.add(planes(pweightName(layer), weightShape, weights.bits(), weights.p()));
    store.add(planes(nweightName(layer), weightShape, weights.bits(), weights.n()));
    store.add(scalar(scaleName(layer), weights.scale()));
    if (hasBias()) {
      store.add(planes(pbiasName(layer), new int[] {biasCount}, bias.bits(), bias.p()));
      store.add(planes(nbiasName(layer), new int[] {biasCount}, bias.bits(), bias.n()));
      store.add(scalar(biasscaleName(layer), bias.scale()));
    }
  }

  /**
   * Writes new weight planes. If the number of bits changed, the plane and scale parameters are replaced by new
   * {@link Parameter} objects (so the trainer resets their optimizer state); otherwise the values are written in place.
   *
   * @return whether the parameters were replaced
   */
  public boolean setWeightPlanes(BitPlanes weights) {
    checkCount(weights, count, "weight");
    return write(pweightName(layer), nweightName(layer), scaleName(layer), weightShape, weights);
  }

  /** As {@link #setWeightPlanes} for the bias planes. */
  public boolean setBiasPlanes(BitPlanes bias) {
    if (!hasBias()) {
      throw new IllegalStateException("layer '" + layer + "' has no bias in bit representation");
    }
    checkCount(bias, biasCount, "bias");
    return write(pbiasName(layer), nbiasName(layer), biasscaleName(layer), new int[] {biasCount}, bias);
  }

  private void checkCount(BitPlanes planes, int expected, String what) {
    if (planes.count() != expected) {
      throw new IllegalArgumentException(what + " planes of layer '" + layer + "' must hold " + expected
          + " values, was " + planes.count());
    }
  }

  private boolean write(String pName, String nName, String sName, int[] shape, BitPlanes planes) {
    Parameter pp = store.get(pName);
    if (lastDim(pp) == planes.bits()) {
      System.arraycopy(planes.p(), 0, pp.value(), 0, planes.p().length);
      System.arraycopy(planes.n(), 0, store.get(nName).value(), 0, planes.n().length);
      store.get(sName).value()[0] = planes.scale();
      return false;
    }
    store.replace(planes(pName, shape, planes.bits(), planes.p()));
    store.replace(planes(nName, shape, planes.bits(), planes.n()));
    store.replace(scalar(sName, planes.scale()));
    return true;
  }

  /** Makes the plane parameters of the store have the given shapes (zero values), for checkpoint restore. */
  void reshape(int bits, int biasBits) {
    if (bits() != bits) {
      store.replace(planes(pweightName(layer), weightShape, bits, new float[count * bits]));
      store.replace(planes(nweightName(layer), weightShape, bits, new float[count * bits]));
    }
    if (hasBias() && biasBits() != biasBits) {
      store.replace(planes(pbiasName(layer), new int[] {biasCount}, biasBits, new float[biasCount * biasBits]));
      store.replace(planes(nbiasName(layer), new int[] {biasCount}, biasBits, new float[biasCount * biasBits]));
    }
  }

  /** Removes this layer's plane parameters from the store. */
  void removeParameters() {
    store.remove(pweightName(layer));
    store.remove(nweightName(layer));
    store.remove(scaleName(layer));
    if (hasBias()) {
      store.remove(pbiasName(layer));
      store.remove(nbiasName(layer));
      store.remove(biasscaleName(layer));
    }
  }

  private static Parameter planes(String name, int[] valueShape, int bits, float[] values) {
    int[] shape = Arrays.copyOf(valueShape, valueShape.length + 1);
    shape[valueShape.length] = bits;
    return new Parameter(name, shape, ParameterRole.STRATEGY, values);
  }

  private static Parameter scalar(String name, float value) {
    return new Parameter(name, new int[] {1}, ParameterRole.STRATEGY, new float[] {value});
  }

  // ------------------------------------------------------------------------------------------------ WeightSource

  @Override
  public void weights(float[] dst) {
    int bits = bits();
    BitMath.reconstruct(store.get(pweightName(layer)).value(), store.get(nweightName(layer)).value(), count, bits,
        store.get(scaleName(layer)).value()[0], false, dst, q);
    if (hasBias()) {
      BitMath.reconstruct(store.get(pbiasName(layer)).value(), store.get(nbiasName(layer)).value(), biasCount,
          biasBits(), store.get(biasscaleName(layer)).value()[0], false, store.get(floatBiasName(layer)).value(), qBias);
    }
  }

  @Override
  public void backward(float[] gradient) {
    Parameter scale = store.get(scaleName(layer));
    scale.grad()[0] += BitMath.backward(gradient, q, count, bits(), scale.value()[0],
        store.get(pweightName(layer)).grad(), store.get(nweightName(layer)).grad());
    if (hasBias()) {
      float[] gb = store.get(floatBiasName(layer)).grad();
      System.arraycopy(gb, 0, biasGradient, 0, biasCount);
      Arrays.fill(gb, 0f);
      Parameter bs = store.get(biasscaleName(layer));
      bs.grad()[0] += BitMath.backward(biasGradient, qBias, biasCount, biasBits(), bs.value()[0],
          store.get(pbiasName(layer)).grad(), store.get(nbiasName(layer)).grad());
    }
  }
}
