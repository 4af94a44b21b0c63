package org.bsq.core.train;

/**
 * Metrics of one pass over an evaluation split.
 *
 * @param samples number of samples evaluated
 * @param topK the k of the top-k metric: {@code min(5, classes)}
 * @param top1Correct samples whose label is the top-1 prediction (see {@link Evaluator} for ties)
 * @param topKCorrect samples whose label is among the {@code topK} largest logits
 * @param loss mean softmax cross-entropy over the samples
 * @param seconds wall-clock seconds of the pass
 */
public record EvaluationResult(long samples, int topK, long top1Correct, long topKCorrect, double loss,
    double seconds) {

  public EvaluationResult {
    if (samples < 0 || topK < 1 || top1Correct < 0 || top1Correct > topKCorrect || topKCorrect > samples) {
      throw new IllegalArgumentException("evaluation counts must satisfy 0 <= top1 <= top" + topK + " <= samples, was "
          + top1Correct + ", " + topKCorrect + ", " + samples);
    }
  }

  /** Top-1 accuracy as a fraction in [0, 1] (NaN when no samples). */
  public double top1() { return samples == 0 ? Double.NaN : (double) top1Correct / samples; }

  /** Top-5 accuracy (top-k with {@code k = min(5, classes)}) as a fraction in [0, 1] (NaN when no samples). */
  public double top5() { return samples == 0 ? Double.NaN : (double) topKCorrect / samples; }

  /** The same metrics with {@code seconds} set to 0, for comparing runs. */
  public EvaluationResult withoutTimings() {
    return new EvaluationResult(samples, topK, top1Correct, topKCorrect, loss, 0);
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "top1 %.2f%%, top%d %.2f%%, loss %.4f (%d samples, %.1f s)",
        100 * top1(), topK, 100 * top5(), loss, samples, seconds);
  }
}
