package org.bsq.baselines;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.bsq.core.config.Validated;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.Precision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.CandidateEvaluator;
import org.bsq.core.search.CandidateResult;
import org.bsq.core.search.CandidateSettings;
import org.bsq.core.search.CostBudget;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.CostTarget;
import org.bsq.core.search.LayerCostTable;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyOutcome;

/**
 * Random search: uniformly random mixed-precision schemes under the same cost budget and the same number of candidate
 * evaluations as the searches (HAQ, ...), evaluated by the same {@link CandidateEvaluator}; the best one on the
 * validation images is handed to the harness, which finetunes it like any other scheme. It is the control that tells
 * whether a search learns anything beyond "sample schemes that fit the budget and keep the best".
 *
 * <p>Sampling (see {@code docs/strategies/random.md}): every counted layer draws its weight bits uniformly from
 * {@code [minWeightBits, maxWeightBits]} (and its activation bits from {@code [minActivationBits, maxActivationBits]}
 * when those are searched); projection shortcuts stay at full precision. A draw over the budget, or one already
 * evaluated, is rejected and drawn again ({@value #MAX_DRAWS} draws at most per candidate), so as long as rejection
 * succeeds the candidates are uniform over the feasible schemes not yet evaluated. When every draw fails, the last
 * over-budget draw is repaired as HAQ's final action wall does: layers in model order, each lowered by one bit (weights;
 * activations too when they are searched and the objective is not size), until the scheme fits. Candidates are drawn
 * from {@link StrategyContext#random()}, so the same seed gives the same candidates and the same result.
 */
public final class RandomSearchStrategy implements QuantizationStrategy {
  /** Registered name. */
  public static final String NAME = "random";

  @Override
  public String summary() {
    return "uniformly random schemes under the cost budget, the best on validation: the control for searches";
  }

  /** Rejection-sampling draws per candidate before the repair. */
  public static final int MAX_DRAWS = 1000;

  private static final double TOLERANCE = 1e-12;

  /**
   * Parameters.
   *
   * @param budget the cost budget on the run's objective ({@code ratio} of the w8/a8 cost, or a {@code value})
   * @param minWeightBits the lowest weight bits a counted layer can draw (1..16)
   * @param maxWeightBits the highest weight bits a counted layer can draw (min..16)
   * @param activationBits fixed input activation bits of every counted layer (0 = keep the model's own)
   * @param minActivationBits the lowest activation bits drawn (0 with {@code maxActivationBits} 0: not searched)
   * @param maxActivationBits the highest activation bits drawn (0: not searched)
   * @param candidates how candidates are evaluated ({@code samples}, {@code finetuneBatches}, ...), as the searches
   * @param evaluations the most candidates to evaluate (0 = as many as {@code strategy.budget} allows)
   */
  public record Parameters(CostBudget budget, int minWeightBits, int maxWeightBits, int activationBits,
                           int minActivationBits, int maxActivationBits, CandidateSettings candidates,
                           int evaluations) implements Validated {
    static Parameters defaults() {
      return new Parameters(CostBudget.defaults(), 2, 8, 0, 0, 0, CandidateSettings.defaults(), 0);
    }

    boolean activationsSearched() {
      return maxActivationBits > 0;
    }

    @Override
    public void validate(List<String> problems) {
      if (budget == null) {
        problems.add("budget: must be given ({ratio: r} of the w8/a8 cost, or {value: v}), was null");
      }
      if (candidates == null) {
        problems.add("candidates: must be a mapping (samples, finetuneBatches, ...), was null");
      }
      if (minWeightBits < 1 || minWeightBits > 16) {
        problems.add("minWeightBits: must be in [1, 16], was " + minWeightBits);
      }
      if (maxWeightBits < minWeightBits || maxWeightBits > 16) {
        problems.add("maxWeightBits: must be in [minWeightBits, 16] = [" + minWeightBits + ", 16], was "
            + maxWeightBits);
      }
      if (activationBits < 0 || activationBits > 16) {
        problems.add("activationBits: must be in [0, 16], was " + activationBits);
      }
      if ((minActivationBits == 0) != (maxActivationBits == 0)) {
        problems.add("minActivationBits/maxActivationBits: give both (a searched range) or neither (0), was "
            + minActivationBits + " and " + maxActivationBits);
      } else if (activationsSearched()) {
        if (minActivationBits < 1 || maxActivationBits < minActivationBits || maxActivationBits > 16) {
          problems.add("minActivationBits/maxActivationBits: must satisfy 1 <= min <= max <= 16, was "
              + minActivationBits + " and " + maxActivationBits);
        }
        if (activationBits != 0) {
          problems.add("activationBits: must be 0 when activation bits are searched (minActivationBits/"
              + "maxActivationBits), was " + activationBits);
        }
      }
      if (evaluations < 0) {
        problems.add("evaluations: must be >= 0 (0 = the strategy budget's), was " + evaluations);
      }
    }
  }

  @Override
  public Class<Parameters> parametersType() {
    return Parameters.class;
  }

  /**
   * Fails before any work when the search has no validation split, no evaluation or time budget, or a cost budget
   * that even the cheapest scheme (every counted layer at the minimum bits) exceeds; the message names the minimum
   * reachable cost.
   */
  @Override
  public void check(StrategyContext context) {
    Parameters p = context.parameters(Parameters.class);
    checkContext(p, context);
    limit(p, context);
  }

  private static void checkContext(Parameters p, StrategyContext context) {
    if (context.validation() == null) {
      throw new IllegalArgumentException("strategy (random) evaluates candidates on a held-out validation split "
          + "(dataset.validation), was none");
    }
    Budget b = context.budget();
    if (p.evaluations() == 0 && b.evaluations() == 0 && b.seconds() == 0) {
      throw new IllegalArgumentException("strategy (random) needs a bound on its candidates: strategy.budget."
          + "evaluations, strategy.budget.seconds or strategy.params.evaluations, was none (all 0)");
    }
  }

  /** The budget in the objective's unit, checked against the cheapest scheme. */
  private static double limit(Parameters p, StrategyContext context) {
    String description = "every counted layer at " + p.minWeightBits() + "-bit weights"
        + (p.activationsSearched() ? " and " + p.minActivationBits() + "-bit activations"
        : p.activationBits() > 0 ? " and " + p.activationBits() + "-bit activations" : "");
    return p.budget().checkedLimit(context.costTarget(), context.layers(), cheapest(p, context.layers()),
        description);
  }

  static QuantizationScheme cheapest(Parameters p, LayerInventory inventory) {
    int[] w = new int[inventory.size()];
    int[] a = new int[inventory.size()];
    for (LayerInfo l : inventory) {
      w[l.index()] = l.projectionShortcut() ? Precision.FULL_BITS : p.minWeightBits();
      a[l.index()] = l.projectionShortcut() ? Precision.FULL_BITS
          : p.activationsSearched() ? p.minActivationBits() : p.activationBits();
    }
    return scheme(inventory, w, a);
  }

  @Override
  public StrategyOutcome run(StrategyContext context) {
    Parameters p = context.parameters(Parameters.class);
    checkContext(p, context);
    double limit = limit(p, context);
    Sampler sampler = new Sampler(p, context.layers(), context.costTarget(), limit, context.random());
    int cap = p.evaluations() == 0 ? Integer.MAX_VALUE : p.evaluations();
    CandidateResult best = null;
    int evaluated = 0;
    boolean exhausted = false;
    try (CandidateEvaluator evaluator = context.candidates(p.candidates())) {
      while (evaluated < cap && evaluator.canEvaluate()) {
        QuantizationScheme candidate = sampler.next();
        if (candidate == null) {
          exhausted = true;
          break;
        }
        CandidateResult r = evaluator.evaluate(candidate);
        evaluated++;
        if (best == null || r.top1() > best.top1() || (r.top1() == best.top1() && r.cost() < best.cost())) {
          best = r;
        }
      }
    }
    if (best == null) {
      throw new IllegalStateException("strategy (random) evaluated no candidate: the evaluation or time budget was "
          + "spent before the search started (strategy.budget " + context.budget() + ")");
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("objective", context.costTarget().describe());
    details.put("costLimit", limit);
    details.put("evaluations", evaluated);
    details.put("draws", sampler.draws);
    details.put("rejectedDraws", sampler.rejected);
    details.put("repaired", sampler.repaired);
    details.put("spaceExhausted", exhausted);
    details.put("bestEvaluation", best.index());
    details.put("bestTop1", best.top1());
    details.put("bestCost", best.cost());
    return new StrategyOutcome(best.scheme(), List.of(), details);
  }

  static QuantizationScheme scheme(LayerInventory inventory, int[] w, int[] a) {
    List<LayerPrecision> out = new ArrayList<>();
    for (LayerInfo l : inventory) {
      out.add(l.projectionShortcut() ? LayerPrecision.full(l.name())
          : LayerPrecision.of(l.name(), w[l.index()], a[l.index()]));
    }
    return new QuantizationScheme(out);
  }

  /** Draws candidates: rejection sampling within the budget, then HAQ's action wall as the fallback. */
  static final class Sampler {
    private final Parameters p;
    private final LayerInventory inventory;
    private final LayerCostTable table;
    private final double limit;
    private final SplittableRandom random;
    private final boolean lowerActivations;
    private final Set<List<Integer>> seen = new HashSet<>();
    int draws;
    int rejected;
    int repaired;

    Sampler(Parameters p, LayerInventory inventory, CostTarget target, double limit, SplittableRandom random) {
      this.p = p;
      this.inventory = inventory;
      this.table = target.table();
      this.limit = limit;
      this.random = random;
      this.lowerActivations = p.activationsSearched() && target.metric() != CostMetric.SIZE;
    }

    /** The next candidate within the budget not evaluated before, or null when none was found. */
    QuantizationScheme next() {
      int n = inventory.size();
      int[] w = new int[n];
      int[] a = new int[n];
      int[] overW = null;
      int[] overA = null;
      for (int attempt = 0; attempt < MAX_DRAWS; attempt++) {
        draw(w, a);
        draws++;
        boolean fits = fits(w, a);
        if (fits && seen.add(key(w, a))) {
          return scheme(inventory, w, a);
        }
        rejected++;
        if (!fits) {
          overW = w.clone();
          overA = a.clone();
        }
      }
      if (overW == null) {
        return null;
      }
      repair(overW, overA);
      if (!seen.add(key(overW, overA))) {
        return null;
      }
      repaired++;
      return scheme(inventory, overW, overA);
    }

    private void draw(int[] w, int[] a) {
      for (LayerInfo l : inventory) {
        int i = l.index();
        if (l.projectionShortcut()) {
          w[i] = Precision.FULL_BITS;
          a[i] = Precision.FULL_BITS;
        } else {
          w[i] = p.minWeightBits() + random.nextInt(p.maxWeightBits() - p.minWeightBits() + 1);
          a[i] = p.activationsSearched()
              ? p.minActivationBits() + random.nextInt(p.maxActivationBits() - p.minActivationBits() + 1)
              : p.activationBits();
        }
      }
    }

    boolean fits(int[] w, int[] a) {
      return table.total(w, a) <= limit * (1 + TOLERANCE);
    }

    /** HAQ's final action wall: layers in model order, one bit lower each, until the scheme fits the budget. */
    void repair(int[] w, int[] a) {
      while (!fits(w, a)) {
        boolean changed = false;
        for (LayerInfo l : inventory) {
          int i = l.index();
          if (l.projectionShortcut()) {
            continue;
          }
          boolean lowered = false;
          if (w[i] > p.minWeightBits()) {
            w[i]--;
            lowered = true;
          }
          if (lowerActivations && a[i] > p.minActivationBits()) {
            a[i]--;
            lowered = true;
          }
          changed |= lowered;
          if (lowered && fits(w, a)) {
            return;
          }
        }
        if (!changed) {
          throw new IllegalStateException("strategy (random) cannot bring a candidate within the cost budget "
              + limit + " by lowering bits (the objective's table is not monotone in the bits)");
        }
      }
    }

    private static List<Integer> key(int[] w, int[] a) {
      List<Integer> k = new ArrayList<>(w.length * 2);
      for (int v : w) {
        k.add(v);
      }
      for (int v : a) {
        k.add(v);
      }
      return k;
    }
  }
}
