package org.bsq.baselines;

import java.util.Arrays;
import java.util.Optional;

/**
 * Exact multiple-choice knapsack by Pareto-front merging: pick one option per layer minimizing the summed sensitivity
 * subject to the summed cost staying within a limit. Layers are merged in order; after each layer only the Pareto
 * front of the partial choices is kept (a partial choice is dropped only when another one costs no more and is no more
 * sensitive), which cannot lose an optimum because every completion adds the same amounts to both (and floating-point
 * addition is monotone). Partial choices that cannot fit even with the cheapest options of the remaining layers are
 * dropped too (with a small slack, so rounding never drops a feasible one). No cost axis is discretized, so the answer
 * is exact for real-valued costs of any metric.
 *
 * <p>Costs and sensitivities are summed from 0 in layer order, the order {@link org.bsq.core.search.LayerCostTable}
 * sums them. A scheme fits when its cost is at most {@code limit * (1 + 1e-12)} (the rounding slack of
 * {@link org.bsq.core.search.CostBudget#checkedLimit}). Ties: the least sensitivity, then the least cost, then the
 * lexicographically smallest option indices in layer order.
 */
public final class ParetoAllocation {
  /** The slack of the final feasibility test, relative to the limit (that of {@code CostBudget.checkedLimit}). */
  public static final double FIT_SLACK = 1e-12;
  /** The most partial choices a front may hold; beyond it the search fails rather than approximate. */
  public static final int MAX_FRONT = 5_000_000;

  private ParetoAllocation() {}

  /**
   * The chosen option per layer.
   *
   * @param choices the index of the chosen option of each layer
   * @param cost the summed cost
   * @param sensitivity the summed sensitivity
   * @param largestFront the largest Pareto front held (the work done)
   */
  public record Solution(int[] choices, double cost, double sensitivity, int largestFront) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Solution s && Arrays.equals(choices, s.choices) && cost == s.cost
          && sensitivity == s.sensitivity && largestFront == s.largestFront;
    }

    @Override
    public int hashCode() { return Arrays.hashCode(choices); }

    @Override
    public String toString() {
      return "Solution" + Arrays.toString(choices) + " cost " + cost + " sensitivity " + sensitivity;
    }
  }

  /**
   * Solves the allocation; empty when no choice fits.
   *
   * @param cost {@code cost[layer][option]}, finite
   * @param sensitivity {@code sensitivity[layer][option]}, finite, same shape
   * @param limit the cost limit
   */
  public static Optional<Solution> solve(double[][] cost, double[][] sensitivity, double limit) {
    int layers = cost.length;
    if (sensitivity.length != layers || layers == 0) {
      throw new IllegalArgumentException("cost and sensitivity must have the same, non-zero number of layers, was "
          + layers + " and " + sensitivity.length);
    }
    for (int l = 0; l < layers; l++) {
      if (cost[l].length == 0 || cost[l].length > 32 || cost[l].length != sensitivity[l].length) {
        throw new IllegalArgumentException("layer " + l + " must have as many costs as sensitivities (1 to 32), was "
            + cost[l].length + " and " + sensitivity[l].length);
      }
      for (int j = 0; j < cost[l].length; j++) {
        if (!Double.isFinite(cost[l][j]) || !Double.isFinite(sensitivity[l][j])) {
          throw new IllegalArgumentException("cost and sensitivity of layer " + l + " option " + j
              + " must be finite, was " + cost[l][j] + " and " + sensitivity[l][j]);
        }
      }
    }
    double fit = limit + Math.abs(limit) * FIT_SLACK;
    double[] minRest = new double[layers + 1];
    for (int l = layers - 1; l >= 0; l--) {
      double m = Double.POSITIVE_INFINITY;
      for (double c : cost[l]) {
        m = Math.min(m, c);
      }
      minRest[l] = minRest[l + 1] + m;
    }
    double slack = 1e-9 * (Math.abs(limit) + Math.abs(minRest[0]) + 1e-300);

    // The front, sorted by cost ascending with sensitivity strictly descending; rank = lexicographic order of paths.
    double[] fc = {0.0};
    double[] fs = {0.0};
    int[] rank = {0};
    int[][] parent = new int[layers][];
    int[][] choice = new int[layers][];
    int largest = 1;
    for (int l = 0; l < layers; l++) {
      int k = cost[l].length;
      int size = fc.length;
      int[] pos = new int[k]; // merge position in the front for each option
      int capacity = (int) Math.min((long) size * k, 1 << 16);
      double[] nc = new double[capacity];
      double[] ns = new double[capacity];
      int[] np = new int[capacity];
      int[] nj = new int[capacity];
      int kept = 0;
      double best = Double.POSITIVE_INFINITY;
      while (true) {
        int pick = -1;
        double pc = 0;
        double ps = 0;
        for (int j = 0; j < k; j++) {
          if (pos[j] >= size) {
            continue;
          }
          double c = fc[pos[j]] + cost[l][j];
          double s = fs[pos[j]] + sensitivity[l][j];
          if (pick < 0 || c < pc || (c == pc && (s < ps || (s == ps && (rank[pos[j]] < rank[pos[pick]]
              || (rank[pos[j]] == rank[pos[pick]] && j < pick)))))) {
            pick = j;
            pc = c;
            ps = s;
          }
        }
        if (pick < 0) {
          break;
        }
        int from = pos[pick]++;
        if (pc + minRest[l + 1] > fit + slack) {
          continue; // cannot fit; later entries of this option's list cost at least as much
        }
        if (ps < best) {
          if (kept == nc.length) {
            if (kept >= MAX_FRONT) {
              throw new IllegalStateException("the Pareto front of the bit allocation grew beyond " + MAX_FRONT
                  + " partial choices at layer " + l + "; use fewer bit choices");
            }
            int grown = (int) Math.min((long) kept * 2, MAX_FRONT);
            nc = Arrays.copyOf(nc, grown);
            ns = Arrays.copyOf(ns, grown);
            np = Arrays.copyOf(np, grown);
            nj = Arrays.copyOf(nj, grown);
          }
          best = ps;
          nc[kept] = pc;
          ns[kept] = ps;
          np[kept] = from;
          nj[kept] = pick;
          kept++;
        }
      }
      if (kept == 0) {
        return Optional.empty();
      }
      // New lexicographic ranks: order by (rank of parent, option).
      long[] keys = new long[kept];
      for (int i = 0; i < kept; i++) {
        keys[i] = (((long) rank[np[i]] * 32 + nj[i]) << 23) | i;
      }
      Arrays.sort(keys);
      int[] newRank = new int[kept];
      for (int r = 0; r < kept; r++) {
        newRank[(int) (keys[r] & ((1 << 23) - 1))] = r;
      }
      fc = Arrays.copyOf(nc, kept);
      fs = Arrays.copyOf(ns, kept);
      rank = newRank;
      parent[l] = Arrays.copyOf(np, kept);
      choice[l] = Arrays.copyOf(nj, kept);
      largest = Math.max(largest, kept);
    }
    // Front: sensitivity strictly decreasing with cost; the optimum is the last entry that fits.
    int at = -1;
    for (int i = 0; i < fc.length; i++) {
      if (fc[i] <= fit) {
        at = i;
      }
    }
    if (at < 0) {
      return Optional.empty();
    }
    int[] chosen = new int[layers];
    int i = at;
    for (int l = layers - 1; l >= 0; l--) {
      chosen[l] = choice[l][i];
      i = parent[l][i];
    }
    return Optional.of(new Solution(chosen, fc[at], fs[at], largest));
  }
}
