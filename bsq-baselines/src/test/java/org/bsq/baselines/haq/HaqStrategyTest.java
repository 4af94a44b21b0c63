package org.bsq.baselines.haq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;
import org.bsq.core.config.ConfigBinder;
import org.bsq.core.config.ConfigException;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyContract;
import org.bsq.core.strategy.StrategyOutcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HaqStrategyTest extends StrategyContract {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected QuantizationStrategy strategy() { return new HaqStrategy(); }

  @Override
  protected String registeredName() { return "haq"; }

  @Override
  protected boolean searches() {
    return true;
  }

  /** Tiny agent: 2 warm-up episodes, then DDPG updates in episodes 3..5. */
  @Override
  protected JsonNode parameters() {
    ObjectNode p = JSON.createObjectNode();
    p.putObject("budget").put("ratio", 0.6);
    p.put("episodes", 5).put("warmup", 2).put("hidden1", 8).put("hidden2", 8).put("batchSize", 4)
        .put("memoryPerLayer", 16);
    return p;
  }

  @Override
  protected Budget budget() { return new Budget(1, 6, 0); }

  private StrategyContext with(StrategyContext ctx, JsonNode params, Budget budget) {
    return new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(), ctx.validation(), ctx.cost(),
        budget, ctx.seed(), params, ctx.workDir());
  }

  @Test
  void searchesWithinTheCostBudgetAndReportsIt(@TempDir Path dir) {
    StrategyContext ctx = context(3, dir);
    StrategyOutcome out = strategy().run(ctx);
    double limit = 0.6 * ctx.costTarget().price(org.bsq.core.quant.QuantizationScheme.uniform(ctx.layers(), 8, 8));
    assertTrue(ctx.costTarget().price(out.scheme()) <= limit * (1 + 1e-9));
    Map<String, Object> d = out.details();
    assertEquals(5, d.get("episodes"), d.toString());
    assertEquals(limit, (double) d.get("costLimit"), 1e-9);
    assertEquals(2 * 6 * 2, d.get("agentUpdates"), "episodes 3 and 4 update once per step (6 counted layers x 2)");
    assertEquals(5, ctx.searchLog().evaluations(), "one evaluation per episode");
    double best = ctx.searchLog().steps().stream().mapToDouble(s -> s.reward()).max().orElseThrow();
    assertEquals(best, (double) d.get("bestReward"), 1e-12, "the logged rewards are the agent's");
    assertTrue((double) d.get("bestReward") <= 1e-9 || (double) d.get("bestTop1") > (double) d.get("fullPrecisionTop1"));
  }

  @Test
  void theEvaluationBudgetCapsTheEpisodes(@TempDir Path dir) {
    StrategyContext ctx = with(context(3, dir), parameters(), new Budget(1, 3, 0));
    StrategyOutcome out = strategy().run(ctx);
    assertEquals(3, out.details().get("episodes"));
  }

  @Test
  void anUnreachableBudgetFailsBeforeAnythingNamingTheMinimum(@TempDir Path dir) {
    ObjectNode p = (ObjectNode) parameters();
    p.putObject("budget").put("value", 1.0).put("ratio", 0); // average weight bits; the cheapest is 2 bits
    StrategyContext ctx = with(context(3, dir), p, budget());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> strategy().check(ctx));
    assertTrue(e.getMessage().contains("minimum reachable") && e.getMessage().contains("every counted layer at 2-bit"),
        e.getMessage());
    assertEquals(0, ctx.searchLog().evaluations());
  }

  @Test
  void weightOnlyModeKeepsTheActivationBits(@TempDir Path dir) {
    ObjectNode p = (ObjectNode) parameters();
    p.put("weightOnly", true).put("activationBits", 6);
    StrategyContext ctx = with(context(3, dir), p, budget());
    StrategyOutcome out = strategy().run(ctx);
    for (var l : ctx.layers()) {
      assertEquals(l.projectionShortcut() ? 32 : 6, out.scheme().get(l.name()).activationBits(), l.name());
    }
    assertEquals(2 * 6, out.details().get("agentUpdates"), "weight-only: one update per layer in episodes 3 and 4");
  }

  @Test
  void differentSeedsCanGiveDifferentSchemes(@TempDir Path dir) {
    java.util.Set<org.bsq.core.quant.QuantizationScheme> schemes = new java.util.HashSet<>();
    for (long seed = 1; seed <= 4; seed++) {
      schemes.add(strategy().run(with(context(seed, dir), parameters(), new Budget(1, 3, 0))).scheme());
    }
    assertTrue(schemes.size() > 1, schemes.toString());
  }

  @Test
  void defaultsAreTheReferences() {
    HaqStrategy.Parameters d = ConfigBinder.bind(JSON.createObjectNode(), HaqStrategy.Parameters.class,
        "strategy.params");
    assertEquals(HaqStrategy.Parameters.defaults(), d);
    assertEquals(600, d.episodes());
    assertEquals(20, d.warmup());
    assertEquals(300, d.hidden1());
    assertEquals(64, d.batchSize());
    assertEquals(128, d.memoryPerLayer());
    assertEquals(0.01, d.tau());
    assertEquals(2, d.minBits());
    assertEquals(8, d.maxBits());
    assertTrue(d.environment().keepFirstLast());
    assertEquals(false, ConfigBinder.bind(JSON.createObjectNode().put("weightOnly", true),
        HaqStrategy.Parameters.class, "strategy.params").environment().keepFirstLast());
  }

  @Test
  void badParametersAreAllReported() {
    ObjectNode p = JSON.createObjectNode().put("minBits", 0).put("tau", 0).put("episodes", 0);
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigBinder.bind(p, HaqStrategy.Parameters.class, "strategy.params"));
    assertEquals(3, e.problems().size(), e.problems().toString());
  }
}
