package org.bsq.core.engine.reference;

import org.bsq.core.graph.ActivationSpec;

/**
 * The element-wise activation functions of the reference backend, with the official BSQ code's exact float32
 * semantics (golden file {@code 06_activation_quant.json}). Operates on whole batch tensors: the quantizer's scale is
 * the maximum over every element of the tensor, all samples together.
 */
final class ActivationKernels {
  private ActivationKernels() {}

  /**
   * Writes the activation of {@code x[0, length)} into {@code y}. {@code alpha} is only read for
   * {@link ActivationSpec.Kind#PACT_QUANT}.
   */
  static void forward(ActivationSpec spec, float alpha, float[] x, float[] y, int length) {
    switch (spec.kind()) {
      case RELU -> {
        for (int i = 0; i < length; i++) {
          y[i] = x[i] > 0f ? x[i] : 0f;
        }
      }
      case RELU6 -> {
        for (int i = 0; i < length; i++) {
          y[i] = Math.min(Math.max(x[i], 0f), 6f);
        }
      }
      case RELU6_QUANT -> {
        for (int i = 0; i < length; i++) {
          y[i] = Math.min(Math.max(x[i], 0f), 6f);
        }
        quantize(y, length, spec.bits());
      }
      case PACT_QUANT -> {
        for (int i = 0; i < length; i++) {
          y[i] = Math.min(Math.max(x[i], 0f), alpha);
        }
        quantize(y, length, spec.bits());
      }
      default -> throw new IllegalArgumentException("activation kind is not supported, was " + spec.kind());
    }
  }

  /**
   * The official STE quantizer, in place: {@code S = max|y|} over the whole tensor; {@code S == 0} gives {@code y*0};
   * else {@code y = (S * (rint((|y| * step) / S) / step)) * sign(y)} with {@code step = 2^bits - 1}, all in float32 in
   * exactly this order, rounding half to even.
   */
  static void quantize(float[] y, int length, int bits) {
    float s = 0f;
    for (int i = 0; i < length; i++) {
      s = Math.max(s, Math.abs(y[i]));
    }
    if (s == 0f) {
      for (int i = 0; i < length; i++) {
        y[i] = y[i] * 0f;
      }
      return;
    }
    float step = (float) ((1 << bits) - 1);
    for (int i = 0; i < length; i++) {
      float v = y[i];
      float r = (float) Math.rint((Math.abs(v) * step) / s) / step;
      y[i] = (s * r) * sign(v);
    }
  }

  /**
   * Adds dL/dx into {@code gradIn} (when not null) given dL/dy in {@code gradOut} and the activation's input {@code x};
   * returns dL/dalpha for {@link ActivationSpec.Kind#PACT_QUANT} (0 for the other kinds). The quantizers pass the
   * gradient straight through: RELU passes where {@code x > 0}; RELU6 and RELU6_QUANT where {@code 0 < x < 6};
   * PACT_QUANT gives {@code g * (1 - [x<0] - [x>alpha])} and {@code dalpha = sum(g * [x >= alpha])}.
   */
  static double backward(ActivationSpec spec, float alpha, float[] x, float[] gradOut, float[] gradIn, int length) {
    switch (spec.kind()) {
      case RELU -> {
        if (gradIn != null) {
          for (int i = 0; i < length; i++) {
            gradIn[i] += x[i] > 0f ? gradOut[i] : 0f;
          }
        }
        return 0;
      }
      case RELU6, RELU6_QUANT -> {
        if (gradIn != null) {
          for (int i = 0; i < length; i++) {
            gradIn[i] += (x[i] > 0f && x[i] < 6f) ? gradOut[i] : 0f;
          }
        }
        return 0;
      }
      case PACT_QUANT -> {
        double dAlpha = 0;
        for (int i = 0; i < length; i++) {
          float v = x[i];
          if (gradIn != null) {
            float below = v < 0f ? 1f : 0f;
            float above = v > alpha ? 1f : 0f;
            gradIn[i] += gradOut[i] * (1f - below - above);
          }
          if (v >= alpha) {
            dAlpha += gradOut[i];
          }
        }
        return dAlpha;
      }
      default -> throw new IllegalArgumentException("activation kind is not supported, was " + spec.kind());
    }
  }

  private static float sign(float v) {
    return v > 0f ? 1f : (v < 0f ? -1f : 0f);
  }
}
