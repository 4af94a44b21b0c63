package org.bsq.core.train;

/** Runs after every optimizer step, e.g. BSQ's clamp of the bit planes to [0, 2]. */
@FunctionalInterface
public interface StepHook {
  void afterStep(StepContext step);
}
