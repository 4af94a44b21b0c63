package org.bsq.core.strategy;

import java.util.List;
import org.bsq.core.config.Validated;

/**
 * What a strategy may spend, so strategies are compared at equal cost.
 *
 * @param epochs training epochs the strategy may run on the training split (fractions allowed)
 * @param evaluations candidate evaluations a search may run (0 = no limit)
 * @param seconds wall-clock limit of the strategy phase in seconds (0 = no limit)
 */
public record Budget(double epochs, int evaluations, double seconds) implements Validated {
  /** No training, no evaluations, no time limit (the config defaults). */
  public static Budget defaults() {
    return new Budget(0, 0, 0);
  }

  @Override
  public void validate(List<String> problems) {
    if (!(epochs >= 0)) {
      problems.add("epochs: must be >= 0, was " + epochs);
    }
    if (evaluations < 0) {
      problems.add("evaluations: must be >= 0 (0 = no limit), was " + evaluations);
    }
    if (!(seconds >= 0)) {
      problems.add("seconds: must be >= 0 (0 = no limit), was " + seconds);
    }
  }

  /**
   * The budget at {@code --budget-scale factor}: epochs and seconds multiplied, evaluations multiplied and rounded up
   * (at least 1 when there were any), so a short preview of a search keeps its shape.
   */
  public Budget scaled(double factor) {
    if (!(factor > 0) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException("budget scale must be a finite number > 0, was " + factor);
    }
    int e = evaluations == 0 ? 0 : (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(evaluations * factor - 1e-9)));
    return new Budget(epochs * factor, e, seconds * factor);
  }
}
