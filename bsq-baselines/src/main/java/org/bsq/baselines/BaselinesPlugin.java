package org.bsq.baselines;

import org.bsq.core.strategy.StrategyPlugin;

/** Registers the baseline strategies of this module (discovered through {@link java.util.ServiceLoader}). */
public final class BaselinesPlugin extends StrategyPlugin {
  @Override
  protected void configureStrategies() {
    bindStrategy(UniformStrategy.NAME, UniformStrategy.class);
    bindStrategy(FixedSchemeStrategy.NAME, FixedSchemeStrategy.class);
    bindStrategy(RandomSearchStrategy.NAME, RandomSearchStrategy.class);
    bindStrategy(HawqStrategy.NAME, HawqStrategy.class);
    bindStrategy(org.bsq.baselines.haq.HaqStrategy.NAME, org.bsq.baselines.haq.HaqStrategy.class);
  }
}
