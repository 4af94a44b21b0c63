package org.bsq.core.param;

/** What a parameter is for; decides whether it is trained and how optimizers and strategies treat it. */
public enum ParameterRole {
  /** Conv or linear weight tensor. */
  WEIGHT(true),
  /** Linear bias. */
  BIAS(true),
  /** Batch-norm scale (gamma). */
  BN_WEIGHT(true),
  /** Batch-norm shift (beta). */
  BN_BIAS(true),
  /** Batch-norm running mean or variance: updated by forward passes in training mode, never by the optimizer. */
  BN_RUNNING_STAT(false),
  /** PACT clip level of a quantized activation. */
  ACTIVATION_CLIP(true),
  /** A trainable tensor owned by a strategy (for example BSQ's bit planes and scales). */
  STRATEGY(true),
  /** A non-trainable tensor owned by a strategy. */
  STRATEGY_BUFFER(false);

  private final boolean trainable;

  ParameterRole(boolean trainable) { this.trainable = trainable; }

  public boolean trainable() { return trainable; }
}
