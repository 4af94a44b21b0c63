package org.bsq.core.search;

import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.train.EvaluationResult;

/**
 * Tries candidate schemes for a search: each evaluation starts from the strategy's starting weights (the model as the
 * strategy got it), puts the model under the candidate (weight <em>and</em> activation bits per layer, with the same
 * quantizers as the harness's finetuning), optionally finetunes it for a few batches, evaluates it on a fixed subset of
 * the validation split and restores the starting state: no state leaks from one candidate to the next (evaluating A,
 * B, A gives A's accuracy bit for bit). Compiled networks are kept across candidates. Open one with
 * {@link org.bsq.core.strategy.StrategyContext#candidates}; close it when the search ends (that restores the model).
 *
 * <p>Every evaluation counts against the run's evaluation and time budget: past it, {@link #evaluate} throws
 * {@link BudgetExhaustedException}; check {@link #canEvaluate()} first. Every evaluation is reported to the progress
 * listeners and kept in {@code run.json} as a {@link SearchStep}.
 */
public interface CandidateEvaluator extends AutoCloseable {
  /** The starting weights at full precision on the same images (computed once). */
  EvaluationResult fullPrecision();

  /** Evaluates a candidate; its reward in the search log is its top-1. */
  default CandidateResult evaluate(QuantizationScheme candidate) {
    return evaluate(candidate, r -> r.top1());
  }

  /** Evaluates a candidate and logs {@code reward.applyAsDouble(result)} as its reward. */
  CandidateResult evaluate(QuantizationScheme candidate, java.util.function.ToDoubleFunction<CandidateResult> reward);

  /** Whether the budget allows another evaluation (evaluations left and time left). */
  boolean canEvaluate();

  /** Evaluations left in the budget ({@link Integer#MAX_VALUE} without an evaluation budget). */
  int remaining();

  /** Restores the model to its starting state. */
  @Override
  void close();
}
