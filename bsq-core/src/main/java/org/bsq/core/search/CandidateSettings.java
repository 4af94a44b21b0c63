package org.bsq.core.search;

import java.util.List;
import org.bsq.core.config.Validated;

/**
 * How a {@link CandidateEvaluator} measures candidates.
 *
 * @param samples evaluate on the first {@code samples} images of the validation split (0: all of it); the subset is
 *     fixed, so every candidate sees the same images in the same batches
 * @param finetuneBatches SGD steps on the training split under the candidate before evaluating (0: none, HAQ's
 *     default); every candidate trains on the same batches
 * @param finetuneLearningRate learning rate of that short finetune (momentum 0.9, no weight decay)
 * @param batchSize evaluation batch size (0: the validation split's own)
 */
public record CandidateSettings(int samples, int finetuneBatches, double finetuneLearningRate, int batchSize)
    implements Validated {
  public static CandidateSettings defaults() { return new CandidateSettings(0, 0, 1e-3, 0); }

  /** Evaluation on the first {@code samples} validation images, no finetune. */
  public static CandidateSettings onSamples(int samples) { return new CandidateSettings(samples, 0, 1e-3, 0); }

  @Override
  public void validate(List<String> problems) {
    check(samples, finetuneBatches, finetuneLearningRate, batchSize, problems);
  }

  // Static: a compact constructor runs before the fields are assigned, so validate() would read zeros there.
  private static void check(int samples, int finetuneBatches, double finetuneLearningRate, int batchSize,
                            List<String> problems) {
    if (samples < 0) {
      problems.add("samples: must be >= 0 (0 = the whole validation split), was " + samples);
    }
    if (finetuneBatches < 0) {
      problems.add("finetuneBatches: must be >= 0, was " + finetuneBatches);
    }
    if (!(finetuneLearningRate > 0) || Double.isInfinite(finetuneLearningRate)) {
      problems.add("finetuneLearningRate: must be a finite number > 0, was " + finetuneLearningRate);
    }
    if (batchSize < 0) {
      problems.add("batchSize: must be >= 0 (0 = the validation split's), was " + batchSize);
    }
  }

  public CandidateSettings {
    List<String> problems = new java.util.ArrayList<>();
    check(samples, finetuneBatches, finetuneLearningRate, batchSize, problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("candidate settings: " + String.join("; ", problems));
    }
  }
}
