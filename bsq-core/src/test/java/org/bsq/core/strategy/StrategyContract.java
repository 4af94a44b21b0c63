package org.bsq.core.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.Precision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.train.InMemoryBatchSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every strategy must show. A strategy's test extends this class and says how to get the strategy, its
 * registered name and parameters; the contract runs it on a tiny residual net with the reference backend.
 */
public abstract class StrategyContract {
  /** The strategy under test (a new instance per call). */
  protected abstract QuantizationStrategy strategy();

  /** The name its plugin registers. */
  protected abstract String registeredName();

  /** Its parameters for the tiny problem (strategy-specific JSON). */
  protected abstract JsonNode parameters();

  /** The budget to give it (small). */
  protected Budget budget() {
    return new Budget(1, 4, 0);
  }

  protected StrategyContext context(long seed, Path workDir) {
    Model model = TinyNets.residualFloat(3);
    int batch = 4;
    int n = 16;
    float[] x = TinyNets.input(model, n, seed + 1);
    int[] y = TinyNets.labels(model, n, seed + 2);
    org.bsq.core.graph.Shape s = model.graph().inputShape();
    InMemoryBatchSource train = new InMemoryBatchSource("tiny/train", x, y, s.channels(), s.height(), s.width(),
        TinyNets.CLASSES, batch, seed, true);
    InMemoryBatchSource val = new InMemoryBatchSource("tiny/val", x, y, s.channels(), s.height(), s.width(),
        TinyNets.CLASSES, batch, seed, false);
    return new StrategyContext(LayerInventory.of(model.graph()), model, new ReferenceBackend(1), train, val,
        new SizeOnlyCostModel(), budget(), seed, parameters(), workDir);
  }

  @Test
  void proposesAPrecisionForEveryWeightLayerWithinRange(@TempDir Path dir) {
    StrategyContext ctx = context(11, dir);
    StrategyOutcome outcome = strategy().run(ctx);
    assertNotNull(outcome);
    QuantizationScheme scheme = outcome.scheme();
    scheme.checkAgainst(ctx.layers());
    for (LayerInfo l : ctx.layers()) {
      LayerPrecision p = scheme.get(l.name());
      int bits = p.weightBits();
      assertTrue(bits == Precision.FULL_BITS || (bits >= 0 && bits <= Precision.MAX_QUANTIZED_BITS),
          l.name() + " weight bits " + bits);
    }
    assertTrue(scheme.averageBits(ctx.layers()) > 0, "average bits of a proposed scheme");
  }

  @Test
  void sameSeedGivesTheSameScheme(@TempDir Path a, @TempDir Path b) {
    assertEquals(strategy().run(context(5, a)).scheme(), strategy().run(context(5, b)).scheme());
  }

  @Test
  void isRegisteredUnderItsName() {
    StrategyRegistry registry = StrategyRegistry.discover();
    assertTrue(registry.names().contains(registeredName()), registry.names().toString());
    assertEquals(strategy().getClass(), registry.get(registeredName()).getClass());
  }

  @Test
  void outcomeIsJsonSerializable(@TempDir Path dir) throws Exception {
    StrategyOutcome outcome = strategy().run(context(7, dir));
    ObjectMapper json = new ObjectMapper();
    String text = json.writeValueAsString(outcome.details());
    assertNotNull(json.readTree(text));
    String scheme = json.writeValueAsString(outcome.scheme());
    assertTrue(scheme.contains(outcome.scheme().layers().get(0).layer()), scheme);
  }
}
