package org.bsq.core.strategy;

/**
 * One quantization algorithm ("bsq", "uniform", "haq", ...). A strategy <em>proposes</em> a scheme; the
 * {@code Harness} (not the strategy) then finetunes the model under that scheme, evaluates it on the test split and
 * prices it, so every strategy is measured the same way and none reports its own headline number.
 *
 * <p>Register an implementation with Guice in a {@link StrategyPlugin} ({@code @ProvidesIntoMap @StringMapKey("name")}
 * or {@link StrategyPlugin#bindStrategy}); names are short kebab-case words, never class names.
 */
public interface QuantizationStrategy {
  /** Runs the search or training that decides the scheme. The context has no test split. */
  StrategyOutcome run(StrategyContext context);
}
