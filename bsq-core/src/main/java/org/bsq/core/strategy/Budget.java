package org.bsq.core.strategy;

import java.util.List;
import org.bsq.core.config.Validated;

/**
 * What a strategy may spend, so strategies are compared at equal cost.
 *
 * @param epochs training epochs the strategy may run on the training split (fractions allowed)
 * @param evaluations validation evaluations a search may run (0 = none)
 * @param seconds wall-clock limit in seconds (0 = none)
 */
public record Budget(double epochs, int evaluations, double seconds) implements Validated {
  @Override
  public void validate(List<String> problems) {
    if (!(epochs >= 0)) {
      problems.add("epochs: must be >= 0, was " + epochs);
    }
    if (evaluations < 0) {
      problems.add("evaluations: must be >= 0, was " + evaluations);
    }
    if (!(seconds >= 0)) {
      problems.add("seconds: must be >= 0, was " + seconds);
    }
  }

  /** Multiplies the epochs (the {@code --budget-scale} of experiments). */
  public Budget scaled(double factor) {
    if (!(factor > 0)) {
      throw new IllegalArgumentException("budget scale must be > 0, was " + factor);
    }
    return new Budget(epochs * factor, evaluations, seconds);
  }
}
