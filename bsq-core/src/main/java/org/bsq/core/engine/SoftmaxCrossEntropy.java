package org.bsq.core.engine;

/** Softmax cross-entropy with mean reduction over the batch, as PyTorch's {@code CrossEntropyLoss()}. */
public final class SoftmaxCrossEntropy {
  private SoftmaxCrossEntropy() {}

  /**
   * Computes the mean loss over the first {@code n} rows of {@code logits} ({@code n x classes}) and, if
   * {@code gradient} is not null, writes dL/dlogits into it (rows beyond {@code n} are set to 0, so padded samples
   * do not contribute).
   */
  public static double lossAndGradient(float[] logits, int[] labels, int n, int classes, float[] gradient) {
    double total = 0;
    for (int i = 0; i < n; i++) {
      int label = labels[i];
      if (label < 0 || label >= classes) {
        throw new IllegalArgumentException("label of sample " + i + " must be in [0, " + (classes - 1) + "], was " + label);
      }
      int off = i * classes;
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, logits[off + c]);
      }
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        sum += Math.exp(logits[off + c] - max);
      }
      double logSum = Math.log(sum) + max;
      total += logSum - logits[off + label];
      if (gradient != null) {
        for (int c = 0; c < classes; c++) {
          double p = Math.exp(logits[off + c] - logSum);
          gradient[off + c] = (float) ((p - (c == label ? 1 : 0)) / n);
        }
      }
    }
    if (gradient != null) {
      java.util.Arrays.fill(gradient, n * classes, gradient.length, 0f);
    }
    return total / n;
  }
}
