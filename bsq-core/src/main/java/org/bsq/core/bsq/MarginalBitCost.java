package org.bsq.core.bsq;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.LayerCostTable;

/**
 * The cost of one weight bit of a layer at its current precision: what hardware-aware BSQ
 * ({@link RegularizerWeighting#hardware}) weights each layer's group-Lasso term by. bsq-core only states the question;
 * the hardware simulator answers it through the per-layer lookup tables every accelerator cost model offers
 * ({@link org.bsq.core.strategy.SchemeCostModel#table}, HAQ's tables), turned into marginal costs by
 * {@link #of(LayerCostTable, String, int, int)}.
 */
public interface MarginalBitCost {
  /**
   * The cost of one weight bit of {@code layer} at {@code bits} weight bits (finite, {@code >= 0}), in the metric's
   * unit.
   */
  double marginal(String layer, int bits);

  /** What is priced, e.g. {@code latency on bitfusion-e}, for messages and run records. */
  String describe();

  /**
   * Marginal costs from an additive per-layer table of the cost model {@code source} (activation bits fixed at
   * {@code activationBits}, the table's own rule for 0 and 32), for precisions 1..{@code maxBits}. With {@code c(b)}
   * the layer's cost at {@code b} weight bits, the marginal cost of one bit is the largest saving per bit that dropping
   * bits from {@code b} can buy (the steepest secant down to any precision of at least 1 bit):
   * <pre>
   *   marginal(b) = max over b' in [1, b) of (c(b) - c(b')) / (b - b')     if that is &gt; 0
   *               = (c(b+) - c(b)) / (b+ - b)   otherwise, b+ the smallest precision in (b, maxBits] with c(b+) &gt; c(b)
   *               = 0                                                       if there is no such b' either
   * </pre>
   * Where the cost falls by the same amount with every bit (a compute-bound layer on a bit-serial array) this is the
   * backward difference {@code c(b) - c(b-1)}. On an array that only gets faster at some precisions (BitFusion's 2-bit
   * bricks price 5-8 bits almost alike: only the weight traffic shrinks with each bit) the backward difference would
   * see the traffic alone, and a layer at 8 bits would never be pushed towards the brick at 4; the steepest secant
   * prices its bits by what dropping them actually buys. Non-monotone tables (BitFusion compatibility mode can price 8
   * bits below 7) need no special case. 0 bits (a pruned layer) is never the reference: its saving contains the
   * layer's fixed costs (reading its input, draining its output), which no bit plane carries; at 1 bit, or where no
   * lower precision is cheaper, the step up to the next costlier precision stands in (the forward secant).
   */
  static MarginalBitCost of(LayerCostTable table, String source, int activationBits, int maxBits) {
    if (maxBits < 1 || maxBits > 16) {
      throw new IllegalArgumentException("maximum bits of a marginal-cost table must be in [1, 16], was " + maxBits);
    }
    return new TableMarginal(table, source, activationBits, maxBits);
  }

  /** {@link #of} over a lookup table; costs are read from the (memoized) table on every call. */
  final class TableMarginal implements MarginalBitCost {
    private final LayerCostTable table;
    private final String source;
    private final int activationBits;
    private final int maxBits;
    private final Map<String, Integer> index = new HashMap<>();

    private TableMarginal(LayerCostTable table, String source, int activationBits, int maxBits) {
      this.table = table;
      this.source = source;
      this.activationBits = activationBits;
      this.maxBits = maxBits;
      List<String> layers = table.layers();
      for (int i = 0; i < layers.size(); i++) {
        index.put(layers.get(i), i);
      }
    }

    @Override
    public double marginal(String layer, int bits) {
      Integer l = index.get(layer);
      if (l == null) {
        throw new IllegalArgumentException("layer must be one of the cost table's " + table.layers() + ", was '"
            + layer + "'");
      }
      if (bits < 1 || bits > maxBits) {
        throw new IllegalArgumentException("weight bits of layer '" + layer + "' must be in [1, " + maxBits
            + "] for a marginal cost, was " + bits);
      }
      double c = cost(l, bits);
      double steepest = 0;
      for (int lower = bits - 1; lower >= 1; lower--) {
        steepest = Math.max(steepest, (c - cost(l, lower)) / (bits - lower));
      }
      if (steepest > 0) {
        return steepest;
      }
      for (int upper = bits + 1; upper <= maxBits; upper++) {
        double cu = cost(l, upper);
        if (cu > c) {
          return (cu - c) / (upper - bits);
        }
      }
      return 0;
    }

    private double cost(int layer, int bits) {
      double v = table.cost(layer, bits, activationBits);
      if (!(v >= 0) || Double.isInfinite(v)) {
        throw new IllegalStateException("cost table entry of layer '" + table.layers().get(layer) + "' at " + bits
            + " weight bits must be finite and >= 0, was " + v);
      }
      return v;
    }

    @Override
    public String describe() {
      CostMetric m = table.metric();
      return m.label() + " on " + source + " (" + m.unit() + ")";
    }
  }
}
