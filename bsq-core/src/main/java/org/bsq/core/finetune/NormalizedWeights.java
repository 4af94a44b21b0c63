package org.bsq.core.finetune;

/**
 * A weight source whose weights are {@code scale * quantize(u)} for normalized values {@code u} (BSQ's bit planes:
 * {@code u = sum_i (p_i - n_i) 2^(n-1-i) / (2^n - 1)}). Fixed-precision finetuning starts from exactly these values,
 * as the reference's {@code to_finetune()} does, instead of re-deriving a scale from the weights.
 */
public interface NormalizedWeights {
  /** The normalized values (unclamped), weight shape, row-major; a fresh array. */
  float[] normalizedWeights();

  /** The layer's scale. */
  float weightScale();
}
