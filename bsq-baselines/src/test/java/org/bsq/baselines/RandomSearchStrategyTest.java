package org.bsq.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.bsq.core.config.ConfigBinder;
import org.bsq.core.config.ConfigException;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.quant.Precision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.CostBudget;
import org.bsq.core.search.SearchLog;
import org.bsq.core.search.SearchStep;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyContract;
import org.bsq.core.strategy.StrategyOutcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RandomSearchStrategyTest extends StrategyContract {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected QuantizationStrategy strategy() { return new RandomSearchStrategy(); }

  @Override
  protected String registeredName() { return "random"; }

  @Override
  protected boolean searches() { return true; }

  /** Average bits at most 4 (half the 8-bit size), weight bits 2..8, 8 validation images per candidate. */
  @Override
  protected JsonNode parameters() {
    ObjectNode p = JSON.createObjectNode();
    p.putObject("budget").put("ratio", 0.5);
    p.put("minWeightBits", 2).put("maxWeightBits", 8);
    p.putObject("candidates").put("samples", 8);
    return p;
  }

  private StrategyContext with(StrategyContext ctx, JsonNode params) {
    return new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(), ctx.validation(), ctx.cost(),
        ctx.budget(), ctx.seed(), params, ctx.workDir());
  }

  @Test
  void evaluatesTheBudgetsCandidatesAllWithinTheCostBudgetAndReturnsTheBest(@TempDir Path dir) {
    StrategyContext ctx = context(3, dir);
    StrategyOutcome out = strategy().run(ctx);
    List<SearchStep> steps = ctx.searchLog().steps();
    assertEquals(ctx.budget().evaluations(), steps.size(), "as many evaluations as the budget gives (4)");
    double limit = CostBudget.defaults().limit(ctx.costTarget(), ctx.layers());
    assertEquals(4.0, limit, 1e-12, "half the 8-bit size: 4 average bits");
    SearchStep best = steps.get(0);
    for (SearchStep s : steps) {
      QuantizationScheme scheme = SearchLog.scheme(s, ctx.layers());
      assertTrue(s.cost() <= limit * (1 + 1e-12), "candidate " + s.index() + " costs " + s.cost());
      assertEquals(scheme.averageBits(ctx.layers()), s.cost(), 1e-9, "the objective is size (average bits)");
      for (LayerInfo l : ctx.layers()) {
        int bits = scheme.get(l.name()).weightBits();
        assertTrue(l.projectionShortcut() ? bits == Precision.FULL_BITS : bits >= 2 && bits <= 8, l.name() + bits);
      }
      if (s.top1() > best.top1() || (s.top1() == best.top1() && s.cost() < best.cost())) {
        best = s;
      }
    }
    assertEquals(SearchLog.scheme(best, ctx.layers()), out.scheme(), "the best evaluated candidate");
    assertEquals(best.index(), out.details().get("bestEvaluation"));
    assertEquals(4, out.details().get("evaluations"));
    assertEquals(4, steps.stream().map(s -> s.weightBits()).distinct().count(), "no candidate twice");
  }

  @Test
  void theEvaluationsParameterCapsTheSearch(@TempDir Path dir) {
    StrategyContext ctx = context(3, dir);
    StrategyContext capped = with(ctx, ((ObjectNode) parameters()).put("evaluations", 2));
    strategy().run(capped);
    assertEquals(2, capped.searchLog().steps().size());
  }

  @Test
  void aDifferentSeedDrawsDifferentCandidates(@TempDir Path a, @TempDir Path b) {
    StrategyContext one = context(5, a);
    StrategyContext two = context(6, b);
    strategy().run(one);
    strategy().run(two);
    assertNotEquals(one.searchLog().steps().get(0).weightBits(), two.searchLog().steps().get(0).weightBits());
  }

  @Test
  void anUnreachableBudgetFailsBeforeAnyEvaluationNamingTheMinimum(@TempDir Path dir) {
    StrategyContext ctx = context(3, dir);
    ObjectNode p = (ObjectNode) parameters();
    p.putObject("budget").put("value", 2.5);
    p.put("minWeightBits", 3);
    StrategyContext bad = with(ctx, p);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> strategy().check(bad));
    assertTrue(e.getMessage().contains("minimum reachable size (bits) is 3 bits")
        && e.getMessage().contains("every counted layer at 3-bit weights"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> strategy().run(bad));
    assertEquals(0, bad.searchLog().steps().size(), "nothing evaluated");
  }

  @Test
  void parametersAreChecked() {
    ObjectNode p = (ObjectNode) parameters();
    p.put("minWeightBits", 5).put("maxWeightBits", 4).put("minActivationBits", 2).put("evaluations", -1);
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigBinder.bind(p, RandomSearchStrategy.Parameters.class, "strategy.params"));
    assertEquals(3, e.problems().size(), e.problems().toString());
    RandomSearchStrategy.Parameters d = ConfigBinder.bind(ConfigBinder.emptyTree(),
        RandomSearchStrategy.Parameters.class, "strategy.params");
    assertEquals(new CostBudget(0.5, 0), d.budget());
    assertEquals(2, d.minWeightBits());
    assertEquals(8, d.maxWeightBits());
  }

  @Test
  void theRepairLowersLayersInModelOrderUntilTheSchemeFits(@TempDir Path dir) {
    StrategyContext ctx = context(3, dir);
    RandomSearchStrategy.Parameters p = ConfigBinder.bind(parameters(), RandomSearchStrategy.Parameters.class, "p");
    RandomSearchStrategy.Sampler sampler = new RandomSearchStrategy.Sampler(p, ctx.layers(), ctx.costTarget(), 4.0,
        new SplittableRandom(1));
    int n = ctx.layers().size();
    int[] w = new int[n];
    int[] a = new int[n];
    for (LayerInfo l : ctx.layers()) {
      w[l.index()] = l.projectionShortcut() ? Precision.FULL_BITS : 8;
    }
    sampler.repair(w, a);
    assertTrue(sampler.fits(w, a));
    QuantizationScheme s = RandomSearchStrategy.scheme(ctx.layers(), w, a);
    assertTrue(s.averageBits(ctx.layers()) <= 4.0 + 1e-12, s.toString());
    int previous = Integer.MAX_VALUE;
    for (LayerInfo l : ctx.layers()) {
      if (!l.projectionShortcut()) {
        assertTrue(w[l.index()] <= previous, "earlier layers are lowered first: " + s);
        assertTrue(w[l.index()] >= 2);
        previous = w[l.index()];
      }
    }
    assertEquals(Precision.FULL_BITS, s.get("b1.down").weightBits());
  }
}
