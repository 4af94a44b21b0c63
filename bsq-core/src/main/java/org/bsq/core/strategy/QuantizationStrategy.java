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
  /**
   * The record the strategy's parameters ({@code strategy.params} of an experiment file) bind to with
   * {@link org.bsq.core.config.ConfigBinder}: unknown keys and bad values are rejected, missing keys take the record's
   * {@code static defaults()}, {@code Path} components are resolved relative to the experiment file, and a record
   * implementing {@link org.bsq.core.config.Validated} checks its own values. The command line binds them before
   * anything is written or run, so a typo fails at once; {@link #run} then gets the complete, resolved parameters in
   * {@link StrategyContext#parameters()} (bind them with {@link StrategyContext#parameters(Class)}).
   *
   * <p>Default: {@link NoParameters}, a strategy without parameters.
   */
  default Class<? extends Record> parametersType() {
    return NoParameters.class;
  }

  /** One line saying what the strategy does, for {@code bsq list strategies}. */
  default String summary() {
    return "";
  }

  /** The paper it implements or follows (authors, title, venue), for {@code bsq list strategies}; empty if none. */
  default String paper() {
    return "";
  }

  /**
   * Checks, before anything is evaluated or trained, what the strategy can check from the context alone (its
   * parameters against the model, a cost budget against the minimum reachable cost, ...); throws
   * {@link IllegalArgumentException} naming the bad value and the rule. The harness and the command line call it before
   * the run starts. Default: nothing to check.
   */
  default void check(StrategyContext context) {}

  /** Runs the search or training that decides the scheme. The context has no test split. */
  StrategyOutcome run(StrategyContext context);
}
