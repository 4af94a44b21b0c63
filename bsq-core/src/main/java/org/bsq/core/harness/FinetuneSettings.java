package org.bsq.core.harness;

import java.util.List;
import org.bsq.core.config.Validated;

/**
 * How the harness finetunes every strategy's scheme (the same for all strategies of an experiment).
 *
 * @param epochs finetuning epochs at budget scale 1 (fractions allowed; 0 skips finetuning)
 * @param learningRate base learning rate
 * @param momentum SGD momentum
 * @param weightDecay weight decay (on every trainable tensor, as the reference)
 * @param nesterov Nesterov momentum
 * @param milestones epochs (at budget scale 1) where the rate is multiplied by {@code gamma}; scaled with the budget
 * @param gamma step factor
 * @param keepBest keep the epoch with the best top-1 on the split {@code keepBestOn} names, instead of the last epoch
 * @param keepBestOn {@value #ON_VALIDATION} (default; needs a held-out validation split, {@code dataset.validation}) or
 *     {@value #ON_TEST}, the reference script's selection on the test split (reference-compatible: the reported test
 *     accuracy is then the best of many looks at the test split)
 * @param referenceCompatible reproduce the reference finetuning's accidental behaviour (docs/algorithm.md sections 12.2, 12.3):
 *     linear-layer biases are dropped (held at zero, so neither used nor trained) and the full-precision projection
 *     shortcut weights are clamped to [-1, 1] after every step; off by default
 */
public record FinetuneSettings(double epochs, double learningRate, double momentum, double weightDecay,
                               boolean nesterov, List<Double> milestones, double gamma, boolean keepBest,
                               String keepBestOn, boolean referenceCompatible) implements Validated {
  /** {@link #keepBestOn()}: select on the held-out validation split. */
  public static final String ON_VALIDATION = "validation";
  /** {@link #keepBestOn()}: select on the test split, as the reference script does. */
  public static final String ON_TEST = "test";

  public FinetuneSettings {
    milestones = milestones == null ? List.of() : List.copyOf(milestones);
  }

  /** The paper's CIFAR-10 finetuning recipe: 300 epochs, lr 0.01, x0.1 at 150 and 250 (docs/algorithm.md section 9.1). */
  public static FinetuneSettings defaults() {
    return new FinetuneSettings(300, 0.01, 0.9, 1e-4, false, List.of(150.0, 250.0), 0.1, false, ON_VALIDATION, false);
  }

  /**
   * The problem of keeping the best epoch on the validation split when the experiment holds no images out
   * ({@code heldOut} false), or null when there is none.
   */
  public String keepBestProblem(boolean heldOut) {
    if (keepBest && ON_VALIDATION.equals(keepBestOn) && !heldOut) {
      return "finetune.keepBest: selecting on the validation split needs dataset.validation.size > 0; or set "
          + "finetune.keepBestOn: test to select on the test split as the reference code does (keep-best on "
          + "validation needs a held-out validation split)";
    }
    return null;
  }

  @Override
  public void validate(List<String> problems) {
    if (!(epochs >= 0)) {
      problems.add("epochs: must be >= 0, was " + epochs);
    }
    if (!(learningRate > 0)) {
      problems.add("learningRate: must be > 0, was " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      problems.add("momentum: must be in [0, 1), was " + momentum);
    }
    if (!(weightDecay >= 0)) {
      problems.add("weightDecay: must be >= 0, was " + weightDecay);
    }
    if (!(gamma > 0)) {
      problems.add("gamma: must be > 0, was " + gamma);
    }
    if (!ON_VALIDATION.equals(keepBestOn) && !ON_TEST.equals(keepBestOn)) {
      problems.add("keepBestOn: must be one of [" + ON_VALIDATION + ", " + ON_TEST + "], was '" + keepBestOn + "'");
    }
    for (int i = 0; i < milestones.size(); i++) {
      if (!(milestones.get(i) > 0)) {
        problems.add("milestones[" + i + "]: must be > 0, was " + milestones.get(i));
      }
    }
  }
}
