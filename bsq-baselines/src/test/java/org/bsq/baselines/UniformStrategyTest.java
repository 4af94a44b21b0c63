package org.bsq.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.bsq.core.config.ConfigException;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.quant.Precision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyContract;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UniformStrategyTest extends StrategyContract {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected QuantizationStrategy strategy() { return new UniformStrategy(); }

  @Override
  protected String registeredName() { return "uniform"; }

  @Override
  protected JsonNode parameters() { return JSON.createObjectNode().put("weightBits", 4).put("activationBits", 4); }

  @Test
  void everyCountedLayerGetsTheBitsAndShortcutsStayFloat(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    QuantizationScheme s = strategy().run(ctx).scheme();
    for (LayerInfo l : ctx.layers()) {
      assertEquals(l.projectionShortcut() ? Precision.FULL_BITS : 4, s.get(l.name()).weightBits(), l.name());
    }
    assertEquals(4.0, s.averageBits(ctx.layers()), 1e-12);
    assertEquals(8.0, s.compression(ctx.layers()), 1e-12);
  }

  @Test
  void badParametersAreAllReported(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    StrategyContext bad = new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(), ctx.validation(),
        ctx.cost(), ctx.budget(), ctx.seed(),
        JSON.createObjectNode().put("weightBits", 0).put("activationBits", 40).put("bits", 3), ctx.workDir());
    ConfigException e = assertThrows(ConfigException.class, () -> strategy().run(bad));
    assertTrue(e.problems().stream().anyMatch(p -> p.startsWith("bits: unknown key")), e.problems().toString());
    ctx = new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(), ctx.validation(), ctx.cost(),
        ctx.budget(), ctx.seed(), JSON.createObjectNode().put("weightBits", 0).put("activationBits", 40),
        ctx.workDir());
    StrategyContext ctx2 = ctx;
    e = assertThrows(ConfigException.class, () -> strategy().run(ctx2));
    assertEquals(2, e.problems().size(), e.problems().toString());
  }

  @Test
  void aParamsKeyWithoutValueMeansTheDefaults(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    StrategyContext empty = new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(),
        ctx.validation(), ctx.cost(), ctx.budget(), ctx.seed(),
        com.fasterxml.jackson.databind.node.NullNode.getInstance(), ctx.workDir());
    QuantizationScheme s = strategy().run(empty).scheme();
    UniformStrategy.Parameters d = UniformStrategy.Parameters.defaults();
    for (LayerInfo l : ctx.layers()) {
      assertEquals(l.projectionShortcut() ? Precision.FULL_BITS : d.weightBits(), s.get(l.name()).weightBits(),
          l.name());
    }
  }
}
