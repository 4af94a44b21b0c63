package org.bsq.core.strategy;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;

/**
 * A Guice module that registers strategies by name. Plugins are discovered with {@link java.util.ServiceLoader}: list
 * the implementation in {@code META-INF/services/org.bsq.core.strategy.StrategyPlugin}. Override
 * {@link #configureStrategies()} and call {@link #bindStrategy} for each strategy (or use {@code @ProvidesIntoMap
 * @StringMapKey("name")} provider methods).
 */
public abstract class StrategyPlugin extends AbstractModule {
  private MapBinder<String, QuantizationStrategy> binder;

  @Override
  protected final void configure() {
    binder = MapBinder.newMapBinder(binder(), String.class, QuantizationStrategy.class);
    configureStrategies();
  }

  /** Registers the plugin's strategies. */
  protected abstract void configureStrategies();

  /** Binds {@code type} under {@code name}; a name bound twice fails when the injector is built. */
  protected final void bindStrategy(String name, Class<? extends QuantizationStrategy> type) {
    StrategyRegistry.checkName(name);
    binder.addBinding(name).to(type);
  }
}
