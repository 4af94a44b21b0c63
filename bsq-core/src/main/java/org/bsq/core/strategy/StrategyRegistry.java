package org.bsq.core.strategy;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.Module;
import com.google.inject.TypeLiteral;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** The strategies known by name: every {@link StrategyPlugin} found by {@link ServiceLoader}, wired by Guice. */
public final class StrategyRegistry {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

  private final Map<String, QuantizationStrategy> strategies;

  private StrategyRegistry(Map<String, QuantizationStrategy> strategies) {
    this.strategies = new TreeMap<>(strategies);
  }

  /** Discovers the plugins on the class path. */
  public static StrategyRegistry discover() {
    List<Module> modules = new ArrayList<>();
    ServiceLoader.load(StrategyPlugin.class).forEach(modules::add);
    return of(modules);
  }

  /** Builds a registry from explicit modules (duplicate names fail here, naming the name). */
  public static StrategyRegistry of(List<? extends Module> modules) {
    List<Module> all = new ArrayList<>(modules);
    all.add(new StrategyPlugin() {
      @Override
      protected void configureStrategies() {
        // an empty map binding, so a class path without plugins gives an empty registry rather than an error
      }
    });
    Injector injector = Guice.createInjector(all);
    return new StrategyRegistry(injector.getInstance(Key.get(new TypeLiteral<Map<String, QuantizationStrategy>>() {})));
  }

  /** Sorted names. */
  public List<String> names() { return List.copyOf(strategies.keySet()); }

  /** The strategy with this name; the error lists the known names. */
  public QuantizationStrategy get(String name) {
    QuantizationStrategy s = strategies.get(name);
    if (s == null) {
      throw new IllegalArgumentException("unknown strategy '" + name + "'; known: " + names());
    }
    return s;
  }

  static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("strategy name must be short kebab-case (e.g. 'uniform', 'bsq'), was '"
          + name + "'");
    }
  }
}
