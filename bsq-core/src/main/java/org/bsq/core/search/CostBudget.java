package org.bsq.core.search;

import java.util.List;
import org.bsq.core.config.Alternatives;
import org.bsq.core.config.Validated;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.QuantizationScheme;

/**
 * A search's cost budget on the run's objective ({@link CostTarget}): either a {@code ratio} of the cost of the model
 * with every counted layer at 8-bit weights and 8-bit activations (HAQ's budgets), or an absolute {@code value} in the
 * objective's unit (e.g. 3.0 average bits, to match a BSQ run). Exactly one is given: in a file, {@code budget:
 * {value: 3}} or {@code budget: {ratio: 0.4}} replaces a strategy's default budget as a whole ({@link Alternatives}).
 *
 * @param ratio fraction of the w8/a8 cost, in (0, 1]... (0 = not used)
 * @param value absolute budget in the objective's unit (0 = not used)
 */
public record CostBudget(double ratio, double value) implements Validated, Alternatives {
  /** Reference precision of {@link #ratio}. */
  public static final int REFERENCE_BITS = 8;

  /** Half the w8/a8 cost, the searches' default. */
  public static CostBudget defaults() { return new CostBudget(0.5, 0); }

  @Override
  public void validate(List<String> problems) {
    if (!(ratio >= 0) || Double.isInfinite(ratio) || !(value >= 0) || Double.isInfinite(value)) {
      problems.add("ratio/value: must be finite and >= 0, was ratio " + ratio + ", value " + value);
    } else if ((ratio > 0) == (value > 0)) {
      problems.add("ratio/value: give exactly one of ratio (a fraction of the 8-bit cost) or value (in the objective's unit), was "
          + "ratio " + ratio + ", value " + value);
    }
  }

  /** The budget in the objective's unit: {@code value}, or {@code ratio} times the w8/a8 cost. */
  public double limit(CostTarget target, LayerInventory inventory) {
    if (value > 0) {
      return value;
    }
    return ratio * target.price(QuantizationScheme.uniform(inventory, REFERENCE_BITS, REFERENCE_BITS));
  }

  /**
   * The budget after checking that {@code cheapest} (the search space's lowest-cost scheme, e.g. every layer at its
   * minimum bits) fits it; otherwise fails naming the minimum reachable value, before any training.
   *
   * @param cheapestDescription how {@code cheapest} was made, for the message ("every layer at 2-bit weights")
   */
  public double checkedLimit(CostTarget target, LayerInventory inventory, QuantizationScheme cheapest,
                             String cheapestDescription) {
    double limit = limit(target, inventory);
    double min = target.price(cheapest);
    if (min > limit * (1 + 1e-12)) {
      String unit = target.metric().unit();
      String asked = value > 0 ? format(value) + " " + unit
          : "ratio " + format(ratio) + " of the w8/a8 cost = " + format(limit) + " " + unit;
      throw new IllegalArgumentException("cost budget (" + asked + ") is unreachable: the minimum reachable "
          + target.describe() + " is " + format(min) + " " + unit + " (" + cheapestDescription + "); raise the budget "
          + "to at least that or lower the search's minimum bits");
    }
    return limit;
  }

  /** Six significant digits without trailing zeros. */
  static String format(double v) {
    return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
  }
}
