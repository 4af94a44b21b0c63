package org.bsq.core.search;

import java.util.List;

/**
 * One step of a search, as progress listeners see it and {@code run.json} keeps it ({@code trajectory.search}).
 *
 * @param index 1-based evaluation number
 * @param planned evaluations the budget allows (0: no evaluation budget)
 * @param top1 validation top-1 of the candidate (0..1)
 * @param reward the strategy's reward for it (top-1 unless the strategy says otherwise)
 * @param cost objective cost of the candidate
 * @param bestReward best reward so far (this step included)
 * @param bestCost cost of the best candidate so far
 * @param seconds seconds since the search started
 * @param weightBits the candidate's weight bits per layer (inventory order)
 * @param activationBits the candidate's activation bits per layer
 */
public record SearchStep(int index, int planned, double top1, double reward, double cost, double bestReward,
                         double bestCost, double seconds, List<Integer> weightBits, List<Integer> activationBits) {
  public SearchStep {
    weightBits = List.copyOf(weightBits);
    activationBits = List.copyOf(activationBits);
  }
}
