package org.bsq.core.train;

import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;
import org.bsq.core.data.BatchSource;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.SoftmaxCrossEntropy;

/**
 * Evaluates a model on a {@link BatchSource} in eval mode (batch norm uses its running statistics): top-1, top-k with
 * {@code k = min(5, classes)}, and the mean softmax cross-entropy. The source's epoch 0 is used.
 *
 * <p><b>Ties.</b> A sample counts as a top-k hit when fewer than {@code k} classes have a logit <em>strictly</em>
 * greater than the label's logit, i.e. when the label's logit is among the k largest values; ties are resolved in the
 * label's favour (PyTorch's {@code topk} breaks ties arbitrarily). A NaN logit of the label is never a hit.
 */
public final class Evaluator {
  private Evaluator() {}

  /** Evaluates with networks compiled for this call and closed before it returns. */
  public static EvaluationResult evaluate(Backend backend, Model model, BatchSource source) {
    try (CompiledNetworks networks = new CompiledNetworks(backend, model)) {
      return evaluate(networks, source);
    }
  }

  /** Evaluates with (and adds to) a cache of compiled networks. */
  public static EvaluationResult evaluate(CompiledNetworks networks, BatchSource source) {
    int classes = networks.model().graph().numClasses();
    if (source.numClasses() != classes) {
      throw new IllegalArgumentException("evaluation source '" + source.description() + "' classes must equal the model's "
          + classes + ", was " + source.numClasses());
    }
    int k = Math.min(5, classes);
    long start = System.nanoTime();
    long samples = 0;
    long top1 = 0;
    long topK = 0;
    double lossSum = 0;
    try (BatchIterator it = source.epoch(0)) {
      while (it.hasNext()) {
        Batch b = it.next();
        int n = b.size();
        CompiledNetwork net = networks.forBatchSize(n);
        float[] logits = net.forward(networks.input(n, b.images()), false);
        int[] labels = b.labels();
        for (int i = 0; i < n; i++) {
          int rank = rankOfLabel(logits, i * classes, classes, labels[i]);
          if (rank < 1) {
            top1++;
          }
          if (rank < k) {
            topK++;
          }
        }
        lossSum += SoftmaxCrossEntropy.lossAndGradient(logits, labels, n, classes, null) * n;
        samples += n;
      }
    }
    double loss = samples == 0 ? Double.NaN : lossSum / samples;
    return new EvaluationResult(samples, k, top1, topK, loss, (System.nanoTime() - start) / 1e9);
  }

  /**
   * The number of classes whose logit is strictly greater than the label's logit in row {@code logits[offset ..
   * offset + classes)}; the sample is a top-k hit when this is {@code < k}. Returns {@code classes} when the label's
   * logit is NaN (never a hit).
   */
  public static int rankOfLabel(float[] logits, int offset, int classes, int label) {
    if (label < 0 || label >= classes) {
      throw new IllegalArgumentException("label must be in [0, " + (classes - 1) + "], was " + label);
    }
    float v = logits[offset + label];
    if (Float.isNaN(v)) {
      return classes;
    }
    int greater = 0;
    for (int c = 0; c < classes; c++) {
      if (logits[offset + c] > v) {
        greater++;
      }
    }
    return greater;
  }
}
