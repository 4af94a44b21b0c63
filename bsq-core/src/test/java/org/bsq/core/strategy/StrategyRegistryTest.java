package org.bsq.core.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bsq.core.quant.QuantizationScheme;
import org.junit.jupiter.api.Test;

class StrategyRegistryTest {
  public static final class Fixed implements QuantizationStrategy {
    @Override
    public StrategyOutcome run(StrategyContext context) {
      return StrategyOutcome.of(QuantizationScheme.uniform(context.layers(), 8, 0));
    }
  }

  public static final class Other implements QuantizationStrategy {
    @Override
    public StrategyOutcome run(StrategyContext context) {
      return StrategyOutcome.of(QuantizationScheme.uniform(context.layers(), 4, 0));
    }
  }

  static StrategyPlugin plugin(String name) {
    return plugin(name, Fixed.class);
  }

  static StrategyPlugin plugin(String name, Class<? extends QuantizationStrategy> type) {
    return new StrategyPlugin() {
      @Override
      protected void configureStrategies() {
        bindStrategy(name, type);
      }
    };
  }

  @Test
  void namesAreSortedAndUnknownNamesListThem() {
    StrategyRegistry r = StrategyRegistry.of(List.of(plugin("zeta"), plugin("alpha")));
    assertEquals(List.of("alpha", "zeta"), r.names());
    assertTrue(r.get("alpha") instanceof Fixed);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.get("beta"));
    assertEquals("unknown strategy 'beta'; known: [alpha, zeta]", e.getMessage());
  }

  @Test
  void duplicateNamesFailWhenTheInjectorIsBuilt() {
    // Two plugins claiming one name with different strategies (Guice merges only identical bindings).
    Exception e = assertThrows(Exception.class,
        () -> StrategyRegistry.of(List.of(plugin("same", Fixed.class), plugin("same", Other.class))));
    assertTrue(e.getMessage().contains("same"), e.getMessage());
  }

  @Test
  void namesMustBeKebabCase() {
    Exception e = assertThrows(Exception.class, () -> StrategyRegistry.of(List.of(plugin("MyStrategy"))));
    assertTrue(String.valueOf(e.getMessage()).contains("kebab-case"), e.getMessage());
  }

  @Test
  void emptyClassPathGivesAnEmptyRegistry() {
    assertEquals(List.of(), StrategyRegistry.of(List.of()).names());
  }
}
