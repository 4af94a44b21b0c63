package org.bsq.baselines.haq;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.bsq.core.quant.QuantizationScheme;

/**
 * HAQ's search loop ({@code train} of {@code rl_quantize.py}): per episode the agent walks the environment (random
 * actions during the warm-up episodes {@code 0..warmup}, the actor with truncated-normal exploration after), the
 * environment pushes the scheme under the budget, the scheme is evaluated once and its reward {@code r} is given to
 * every transition of the episode; after the warm-up each stored transition is followed by {@code updatesPerStep}
 * agent updates. After an episode a dummy entry (the last state, reward 0, not terminal) is stored, as the reference's
 * {@code agent.memory.append(observation, ...)}; it is the successor of the episode's terminal transition and is never
 * sampled itself. The best scheme is the one with the highest reward (the first on ties).
 */
public final class HaqSearch {
  private HaqSearch() {}

  /** What the search evaluates a scheme with: the candidate evaluator in a run, a function in tests. */
  public interface Evaluation {
    /** Whether the budget allows another evaluation. */
    boolean canEvaluate();

    /**
     * The top-1 accuracy (0..1) of {@code scheme}; {@code reward} maps an accuracy to the episode's reward (for
     * logging).
     */
    double accuracy(QuantizationScheme scheme, double cost, DoubleUnaryOperator reward);
  }

  /**
   * The outcome.
   *
   * @param best the best scheme (null when no episode could be evaluated)
   * @param bestReward its reward
   * @param bestAccuracy its top-1 (0..1)
   * @param bestCost its cost
   * @param rewards every episode's reward, in order
   * @param agentSeconds wall time spent in agent updates (after the warm-up)
   * @param updates number of agent updates
   */
  public record Result(QuantizationScheme best, double bestReward, double bestAccuracy, double bestCost,
                       List<Double> rewards, double agentSeconds, int updates) {
    public int episodes() { return rewards.size(); }
  }

  /**
   * Runs at most {@code episodes} episodes while {@code evaluation.canEvaluate()}.
   *
   * @param fullPrecisionTop1 the reward's reference accuracy (0..1)
   * @param rewardScale the reward's factor per percentage point
   */
  public static Result run(HaqEnvironment env, DdpgAgent agent, int episodes, int updatesPerStep,
                           double fullPrecisionTop1, double rewardScale, Evaluation evaluation) {
    int warmup = agent.settings().warmup();
    QuantizationScheme best = null;
    double bestReward = Double.NEGATIVE_INFINITY;
    double bestAccuracy = Double.NaN;
    double bestCost = Double.NaN;
    List<Double> rewards = new ArrayList<>();
    long agentNanos = 0;
    int updates = 0;
    DoubleUnaryOperator reward = acc -> HaqEnvironment.reward(acc, fullPrecisionTop1, rewardScale);
    for (int episode = 0; episode < episodes && evaluation.canEvaluate(); episode++) {
      double[] state = env.reset();
      List<double[]> states = new ArrayList<>();
      List<Double> actions = new ArrayList<>();
      while (!env.done()) {
        double action = episode <= warmup ? agent.randomAction() : agent.selectAction(state, episode);
        states.add(state);
        actions.add(action);
        state = env.step(action);
      }
      QuantizationScheme scheme = env.scheme();
      double cost = env.cost();
      double accuracy;
      try {
        accuracy = evaluation.accuracy(scheme, cost, reward);
      } catch (org.bsq.core.search.BudgetExhaustedException e) {
        break; // the time budget ran out during the episode's steps
      }
      double r = reward.applyAsDouble(accuracy);
      rewards.add(r);
      long t0 = System.nanoTime();
      for (int t = 0; t < states.size(); t++) {
        agent.observe(r, states.get(t), actions.get(t), t == states.size() - 1);
        if (episode > warmup) {
          for (int u = 0; u < updatesPerStep; u++) {
            agent.update();
            updates++;
          }
        }
      }
      agent.observe(0, state, 0, false);
      agentNanos += System.nanoTime() - t0;
      if (r > bestReward) {
        bestReward = r;
        best = scheme;
        bestAccuracy = accuracy;
        bestCost = cost;
      }
    }
    return new Result(best, bestReward, bestAccuracy, bestCost, rewards, agentNanos / 1e9, updates);
  }
}
