package org.bsq.core.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

  /**
   * Whether the strategy searches (evaluates candidates, draws random schemes): then a different seed must be able to
   * give a different scheme, and its evaluations must stay within the budget.
   */
  protected boolean searches() {
    return false;
  }

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
  void aSearchCanGiveADifferentSchemeForADifferentSeedAndStaysWithinItsBudget(@TempDir Path dir) {
    org.junit.jupiter.api.Assumptions.assumeTrue(searches(), "not a search");
    java.util.Set<QuantizationScheme> schemes = new java.util.HashSet<>();
    for (long seed = 1; seed <= 6; seed++) {
      StrategyContext ctx = context(seed, dir.resolve("s" + seed));
      schemes.add(strategy().run(ctx).scheme());
      int used = ctx.searchLog().evaluations();
      assertTrue(used >= 1, "a search evaluates candidates, evaluated " + used);
      assertTrue(ctx.budget().evaluations() == 0 || used <= ctx.budget().evaluations(),
          "evaluations " + used + " within the budget " + ctx.budget().evaluations());
    }
    assertTrue(schemes.size() > 1, "six seeds gave one scheme: " + schemes);
  }

  @Test
  void hasASummaryForTheStrategyList() {
    assertTrue(!strategy().summary().isBlank(), "bsq list strategies shows a one-line summary");
    assertTrue(!strategy().summary().contains("\n"), "one line");
  }

  @Test
  void isRegisteredUnderItsName() {
    StrategyRegistry registry = StrategyRegistry.discover();
    assertTrue(registry.names().contains(registeredName()), registry.names().toString());
    assertEquals(strategy().getClass(), registry.get(registeredName()).getClass());
  }

  /**
   * The outcome goes into run.json through the harness's own path: its details serialize (every value, no empty bean),
   * read back to the same tree, and its scheme survives the run record's layout unchanged.
   */
  @Test
  void outcomeRoundTripsThroughTheRunRecordsJson(@TempDir Path dir) throws Exception {
    StrategyContext ctx = context(7, dir);
    StrategyOutcome outcome = strategy().run(ctx);
    ObjectMapper strict = new ObjectMapper(); // fails on values Jackson cannot serialize (empty beans)
    String text = strict.writeValueAsString(outcome.details());
    JsonNode details = strict.readTree(text);
    assertTrue(details.isObject(), text);
    assertEquals(outcome.details().keySet(), fieldNames(details), "every detail is written under its key");
    assertEquals(details, strict.readTree(strict.writeValueAsString(strict.treeToValue(details, Object.class))),
        "details read back to the same JSON");

    java.util.List<org.bsq.core.harness.RunRecord.Layer> layers = new java.util.ArrayList<>();
    for (LayerInfo l : ctx.layers()) {
      LayerPrecision p = outcome.scheme().get(l.name());
      layers.add(new org.bsq.core.harness.RunRecord.Layer(l.name(), p.weightBits(), p.activationBits(),
          l.paramCount(), !l.projectionShortcut()));
    }
    String schemeJson = org.bsq.core.json.Json.line(new org.bsq.core.harness.RunRecord.Scheme(layers));
    QuantizationScheme back = org.bsq.core.json.Json.files()
        .readValue(schemeJson, org.bsq.core.harness.RunRecord.Scheme.class).toQuantizationScheme();
    assertEquals(outcome.scheme(), back, "the scheme as run.json stores it reads back equal");
  }

  private static java.util.Set<String> fieldNames(JsonNode node) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    node.fieldNames().forEachRemaining(out::add);
    return new java.util.TreeSet<>(out);
  }

  /** The strategy's parameters bind to its declared type, and a key it does not know is refused before a run. */
  @Test
  void parametersBindToTheDeclaredTypeAndUnknownKeysAreRefused() {
    Class<? extends Record> type = strategy().parametersType();
    Object bound = org.bsq.core.config.ConfigBinder.bind(parameters(), type, "strategy.params");
    assertEquals(type, bound.getClass());
    com.fasterxml.jackson.databind.node.ObjectNode typo = parameters() == null || parameters().isNull()
        ? new ObjectMapper().createObjectNode() : ((com.fasterxml.jackson.databind.node.ObjectNode) parameters())
        .deepCopy();
    typo.put("noSuchParameter", 1);
    org.bsq.core.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
        org.bsq.core.config.ConfigException.class,
        () -> org.bsq.core.config.ConfigBinder.bind(typo, type, "strategy.params"));
    assertTrue(e.problems().stream().anyMatch(p -> p.startsWith("noSuchParameter: unknown key")), e.problems()
        .toString());
  }
}
