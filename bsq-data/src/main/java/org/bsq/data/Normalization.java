package org.bsq.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Per-channel input normalization {@code x = (pixel / 255 - mean[c]) / std[c]}, computed in double and stored as
 * float. Immutable.
 *
 * <p>Constants:
 *
 * <ul>
 *   <li>{@link #CIFAR10}: mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994, 0.2010). These are the constants of the
 *       BSQ reference code (and of the pretrained ResNet-20 in shared/); the std values are the widely copied
 *       "per-pixel" figures, not the per-channel std of the training set (about 0.247, 0.243, 0.262).
 *   <li>{@link #FASHION_MNIST}: mean 0.2860, std 0.3530: mean and std of all pixels of the 60,000 Fashion-MNIST training
 *       images scaled to [0, 1] (0.28604, 0.35302 rounded to 4 decimals).
 *   <li>{@link #MNIST}: mean 0.1307, std 0.3081, the same statistics for the MNIST training set.
 * </ul>
 */
public final class Normalization {
  /** CIFAR-10 normalization of the BSQ reference code. */
  public static final Normalization CIFAR10 =
      of(new double[] {0.4914, 0.4822, 0.4465}, new double[] {0.2023, 0.1994, 0.2010});
  /** Fashion-MNIST training-set statistics. */
  public static final Normalization FASHION_MNIST = of(0.2860, 0.3530);
  /** MNIST training-set statistics. */
  public static final Normalization MNIST = of(0.1307, 0.3081);

  private final double[] mean;
  private final double[] std;

  private Normalization(double[] mean, double[] std) {
    this.mean = mean;
    this.std = std;
  }

  /** Normalization with one mean and std per channel (arrays are copied). */
  public static Normalization of(double[] mean, double[] std) {
    Objects.requireNonNull(mean, "mean");
    Objects.requireNonNull(std, "std");
    if (mean.length < 1 || mean.length != std.length) {
      throw new IllegalArgumentException(
          "mean and std must have the same length >= 1, was " + mean.length + " and " + std.length);
    }
    for (int c = 0; c < std.length; c++) {
      if (!(std[c] > 0) || Double.isInfinite(std[c])) {
        throw new IllegalArgumentException("std of channel " + c + " must be finite and > 0, was " + std[c]);
      }
      if (!Double.isFinite(mean[c])) {
        throw new IllegalArgumentException("mean of channel " + c + " must be finite, was " + mean[c]);
      }
    }
    return new Normalization(mean.clone(), std.clone());
  }

  /** One-channel normalization. */
  public static Normalization of(double mean, double std) { return of(new double[] {mean}, new double[] {std}); }

  /** Plain scaling {@code pixel / 255} (mean 0, std 1) for {@code channels} channels. */
  public static Normalization unit(int channels) {
    if (channels < 1) {
      throw new IllegalArgumentException("channels must be >= 1, was " + channels);
    }
    double[] mean = new double[channels];
    double[] std = new double[channels];
    Arrays.fill(std, 1.0);
    return new Normalization(mean, std);
  }

  public int channels() { return mean.length; }

  public double mean(int channel) { return mean[channel]; }

  public double std(int channel) { return std[channel]; }

  /** The normalized value of unsigned pixel {@code pixel} (0..255) in channel {@code channel}. */
  public float apply(int channel, int pixel) {
    if (pixel < 0 || pixel > 255) {
      throw new IllegalArgumentException("pixel must be in [0, 255], was " + pixel);
    }
    return (float) ((pixel / 255.0 - mean[channel]) / std[channel]);
  }

  /** Lookup table {@code [channel * 256 + pixel]} of {@link #apply}. */
  float[] lookupTable() {
    float[] table = new float[mean.length * 256];
    for (int c = 0; c < mean.length; c++) {
      for (int p = 0; p < 256; p++) {
        table[c * 256 + p] = (float) ((p / 255.0 - mean[c]) / std[c]);
      }
    }
    return table;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalization other && Arrays.equals(mean, other.mean) && Arrays.equals(std, other.std);
  }

  @Override
  public int hashCode() { return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std); }

  @Override
  public String toString() { return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]"; }
}
