package org.bsq.core.train;

/**
 * An extra term of the training objective, e.g. BSQ's bit-level group Lasso. Called once per step, after the network's
 * backward pass and before the optimizer step: it returns its value (added to the cross-entropy, in the same units: a
 * mean over the batch, already multiplied by its own coefficient) and <em>adds</em> its gradient into the grad arrays
 * of the parameters it depends on.
 */
public interface LossTerm {
  /** Short name for logs and step reports. Must be unique among a trainer's terms. */
  default String name() { return getClass().getSimpleName(); }

  /** Adds this term's gradient to the parameters' grad arrays and returns its value. */
  double addValueAndGradients(StepContext step);
}
