package org.bsq.core.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.Budget;

/**
 * The run's search ledger, owned by the harness: counts evaluations against {@link Budget#evaluations()} and
 * {@link Budget#seconds()} (from the first use), keeps every {@link SearchStep} for {@code run.json} and tells the
 * listeners. Shared by every {@link CandidateEvaluator} of one run. Not thread-safe.
 */
public final class SearchLog {
  private final Budget budget;
  private final List<SearchListener> listeners;
  private final LongSupplier clock;
  private final List<SearchStep> steps = new ArrayList<>();
  private long startNanos = -1;
  private double bestReward = Double.NEGATIVE_INFINITY;
  private double bestCost = Double.NaN;

  public SearchLog(Budget budget, List<SearchListener> listeners) {
    this(budget, listeners, System::nanoTime);
  }

  public SearchLog(Budget budget, List<SearchListener> listeners, LongSupplier clock) {
    this.budget = budget;
    this.listeners = List.copyOf(listeners);
    this.clock = clock;
  }

  /** Starts the budget's clock (the harness calls it when the strategy starts; otherwise the first use does). */
  public void start() {
    if (startNanos < 0) {
      startNanos = clock.getAsLong();
    }
  }

  public Budget budget() { return budget; }

  /** Seconds since the clock started (0 before). */
  public double seconds() {
    return startNanos < 0 ? 0 : (clock.getAsLong() - startNanos) / 1e9;
  }

  /** Evaluations so far. */
  public int evaluations() { return steps.size(); }

  /** Evaluations left ({@link Integer#MAX_VALUE} without an evaluation budget). */
  public int remaining() {
    return budget.evaluations() == 0 ? Integer.MAX_VALUE : Math.max(0, budget.evaluations() - steps.size());
  }

  /** Whether the time budget is spent. */
  public boolean outOfTime() {
    return budget.seconds() > 0 && seconds() >= budget.seconds();
  }

  /** Whether another evaluation fits the budget. */
  public boolean canEvaluate() {
    start();
    return remaining() > 0 && !outOfTime();
  }

  /** Fails unless another evaluation fits the budget. */
  public void checkCanEvaluate() {
    start();
    if (remaining() == 0) {
      throw new BudgetExhaustedException("the search's evaluation budget (strategy.budget.evaluations = "
          + budget.evaluations() + ") is spent");
    }
    if (outOfTime()) {
      throw new BudgetExhaustedException(String.format(Locale.ROOT,
          "the search's time budget (strategy.budget.seconds = %s) is spent after %.1f s and %d evaluations",
          budget.seconds(), seconds(), steps.size()));
    }
  }

  /** The number the next evaluation gets (1-based). */
  public int nextIndex() { return steps.size() + 1; }

  /** Records an evaluation and tells the listeners; returns the step. */
  public SearchStep record(CandidateResult r, double reward, LayerInventory inventory) {
    if (reward > bestReward || steps.isEmpty()) {
      bestReward = reward;
      bestCost = r.cost();
    }
    List<Integer> w = new ArrayList<>();
    List<Integer> a = new ArrayList<>();
    for (LayerInfo l : inventory) {
      LayerPrecision p = r.scheme().get(l.name());
      w.add(p.weightBits());
      a.add(p.activationBits());
    }
    SearchStep step = new SearchStep(r.index(), budget.evaluations(), r.top1(), reward, r.cost(), bestReward,
        bestCost, seconds(), w, a);
    steps.add(step);
    listeners.forEach(l -> l.onSearchStep(step));
    return step;
  }

  /** Every step so far. */
  public List<SearchStep> steps() { return List.copyOf(steps); }

  /** The scheme of a step, rebuilt over {@code inventory}. */
  public static QuantizationScheme scheme(SearchStep step, LayerInventory inventory) {
    List<LayerPrecision> layers = new ArrayList<>();
    for (LayerInfo l : inventory) {
      layers.add(LayerPrecision.of(l.name(), step.weightBits().get(l.index()), step.activationBits().get(l.index())));
    }
    return new QuantizationScheme(layers);
  }
}
