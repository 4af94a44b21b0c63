package org.bsq.core.train;

import java.util.Map;

/**
 * Runs between epochs and may change the model's structure: add, replace or remove parameters of the store and bind
 * weight sources (e.g. BSQ re-quantisation and precision adjustment). After a hook ran, the trainer resets the
 * optimizer state of every parameter that was added, removed or replaced (a different {@code Parameter} object under
 * the same name) and recompiles the networks if anything changed.
 *
 * <p>State a hook needs across a resume must live in the parameter store (for example as
 * {@link org.bsq.core.param.ParameterRole#STRATEGY_BUFFER} tensors), because checkpoints save exactly the store; a
 * hook that changes the store's structure rebuilds it in {@link #beforeRestore}.
 */
public interface EpochHook {
  /** Runs before epoch {@code context.epoch()} starts (including epoch 0), but not again when resuming inside it. */
  default void beforeEpoch(EpochContext context) {}

  /**
   * Whether the hook acts before global step {@code globalStep} inside an epoch (never asked for an epoch's first step,
   * which is {@link #beforeEpoch}'s): a recipe event that a budget of fractional epochs moves inside an epoch
   * ({@link RecipePlan}). Must depend on {@code globalStep} only, so a resumed run asks the same.
   */
  default boolean actsBeforeStep(long globalStep) { return false; }

  /**
   * Runs before the step {@code context.globalStep()} inside epoch {@code context.epoch()} when
   * {@link #actsBeforeStep} says so; changes are handled as {@link #beforeEpoch}'s.
   */
  default void beforeStep(EpochContext context) {}

  /**
   * Runs once after the last epoch (e.g. BSQ's final re-quantisation); {@code context.epoch()} is then the number of
   * epochs. If it changes the model, the trainer evaluates again.
   */
  default void afterTraining(EpochContext context) {}

  /**
   * Runs when a checkpoint is about to be restored into a freshly built model, before names and shapes are checked:
   * the hook makes the store's structure match {@code checkpointShapes} (every tensor the checkpoint holds, in store
   * order) and binds its weight sources; the values are then copied in. {@code context.epoch()} is the checkpoint's
   * epoch.
   */
  default void beforeRestore(EpochContext context, Map<String, int[]> checkpointShapes) {}
}
