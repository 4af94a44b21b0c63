package org.bsq.core.bsq;

import org.bsq.core.strategy.StrategyPlugin;

/** Registers {@link BsqStrategy} as {@value BsqStrategy#NAME} (discovered through {@link java.util.ServiceLoader}). */
public final class BsqPlugin extends StrategyPlugin {
  @Override
  protected void configureStrategies() {
    bindStrategy(BsqStrategy.NAME, BsqStrategy.class);
  }
}
