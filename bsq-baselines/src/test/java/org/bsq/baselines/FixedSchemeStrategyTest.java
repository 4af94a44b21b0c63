package org.bsq.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bsq.core.config.ConfigException;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyContract;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FixedSchemeStrategyTest extends StrategyContract {
  private static final ObjectMapper JSON = new ObjectMapper();

  static int bitsFor(LayerInfo l) {
    return l.projectionShortcut() ? 32 : 2 + l.index() % 5;
  }

  @Override
  protected QuantizationStrategy strategy() { return new FixedSchemeStrategy(); }

  @Override
  protected String registeredName() { return "scheme"; }

  @Override
  protected JsonNode parameters() {
    ObjectNode p = JSON.createObjectNode();
    ObjectNode bits = p.putObject("weightBits");
    for (LayerInfo l : LayerInventory.of(TinyNets.residualFloat(3).graph())) {
      bits.put(l.name(), bitsFor(l));
    }
    p.put("activationBits", 4);
    return p;
  }

  @Test
  void proposesExactlyTheConfiguredBits(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    QuantizationScheme s = strategy().run(ctx).scheme();
    for (LayerInfo l : ctx.layers()) {
      assertEquals(bitsFor(l), s.get(l.name()).weightBits(), l.name());
    }
  }

  @Test
  void copiesTheSchemeOfAnEarlierRun(@TempDir Path dir) throws Exception {
    StrategyContext ctx = context(1, dir);
    ObjectNode record = JSON.createObjectNode();
    ArrayNode layers = record.putObject("scheme").putArray("layers");
    for (LayerInfo l : ctx.layers()) {
      layers.addObject().put("name", l.name()).put("weightBits", l.index() == 0 ? 0 : 3)
          .put("activationBits", 4).put("params", l.paramCount()).put("counted", true);
    }
    Path run = dir.resolve("run.json");
    Files.writeString(run, JSON.writeValueAsString(record));
    StrategyContext fromRun = new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(),
        ctx.validation(), ctx.cost(), ctx.budget(), ctx.seed(), JSON.createObjectNode().put("run", run.toString()),
        ctx.workDir());
    QuantizationScheme s = strategy().run(fromRun).scheme();
    assertEquals(0, s.get(ctx.layers().get(0).name()).weightBits(), "a pruned layer stays pruned");
    assertEquals(3, s.get(ctx.layers().get(1).name()).weightBits());
  }

  @Test
  void needsExactlyOneSource(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    StrategyContext none = new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(),
        ctx.validation(), ctx.cost(), ctx.budget(), ctx.seed(), JSON.createObjectNode(), ctx.workDir());
    ConfigException e = assertThrows(ConfigException.class, () -> strategy().run(none));
    assertTrue(e.getMessage().contains("exactly one"), e.getMessage());
  }
}
