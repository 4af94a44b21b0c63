package org.bsq.baselines.haq;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.config.Validated;
import org.bsq.core.search.CandidateEvaluator;
import org.bsq.core.search.CandidateSettings;
import org.bsq.core.search.CostBudget;
import org.bsq.core.search.CostTarget;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyOutcome;

/**
 * HAQ (Wang et al., "HAQ: Hardware-Aware Automated Quantization with Mixed Precision", CVPR 2019): a DDPG agent
 * ({@link DdpgAgent}) walks the counted layers and picks weight and activation bits ({@link HaqEnvironment}); each
 * episode's scheme is pushed under the cost budget with the objective's per-layer table, evaluated by the run's
 * {@link CandidateEvaluator} (one evaluation per episode, counted against {@code strategy.budget.evaluations}) and
 * rewarded with {@code 0.1 * (acc - accFull)} in percent. The best scheme (highest reward) is the outcome, which the
 * harness finetunes. Defaults follow mit-han-lab/haq ({@code rl_quantize.py} and {@code run/run_linear_quantize_search.sh});
 * see {@code docs/strategies/haq.md}.
 */
public final class HaqStrategy implements QuantizationStrategy {
  /** Registered name. */
  public static final String NAME = "haq";

  /**
   * Parameters (defaults from mit-han-lab/haq).
   *
   * @param budget the cost budget on the run's objective: a ratio of the w8/a8 cost (default 0.556, the search
   *     script's {@code --preserve_ratio 0.556} with {@code --float_bit 8}) or an absolute {@code value}
   * @param weightOnly one action per layer (weight bits; {@code quantize_env.py}); otherwise weight and activation
   *     bits ({@code linear_quantize_env.py})
   * @param activationBits activation bits of every counted layer in weight-only mode (0 = the model's own)
   * @param minBits lowest bits ({@code --min_bit 2} of the search script)
   * @param maxBits highest bits ({@code --max_bit 8})
   * @param keepFirstLast hold the first and last counted layers at 8 bits while the wall lowers bits (null: the
   *     reference's choice for the mode, true with activations, false weight-only)
   * @param episodes episodes at most ({@code --train_episode 600}); one evaluation each, capped by the budget
   * @param warmup random-action episodes ({@code --warmup 20}; episodes 0..warmup are random)
   * @param hidden1 actor and critic first hidden width ({@code --hidden1 300})
   * @param hidden2 second hidden width ({@code --hidden2 300})
   * @param actorLearningRate {@code --lr_a 1e-4}
   * @param criticLearningRate {@code --lr_c 1e-3}
   * @param discount {@code --discount 1}
   * @param batchSize {@code --bsize 64}
   * @param memoryPerLayer replay entries per counted layer ({@code --rmsize 128}, times the layers)
   * @param tau soft target update ({@code --tau 0.01})
   * @param initDelta initial exploration standard deviation ({@code --init_delta 0.5})
   * @param deltaDecay its decay per episode ({@code --delta_decay 0.99})
   * @param updatesPerStep agent updates per stored transition ({@code --n_update 1})
   * @param movingAverageAlpha reward baseline rate ({@code moving_alpha = 0.5} in ddpg.py)
   * @param rewardScale reward per percentage point of accuracy ({@code 0.1} in the env's {@code reward})
   * @param candidates how candidates are evaluated (validation subset, optional short finetune)
   */
  public record Parameters(CostBudget budget, boolean weightOnly, int activationBits, int minBits, int maxBits,
                           Boolean keepFirstLast, int episodes, int warmup, int hidden1, int hidden2,
                           double actorLearningRate, double criticLearningRate, double discount, int batchSize,
                           int memoryPerLayer, double tau, double initDelta, double deltaDecay, int updatesPerStep,
                           double movingAverageAlpha, double rewardScale, CandidateSettings candidates)
      implements Validated {
    public static Parameters defaults() {
      return new Parameters(new CostBudget(0.556, 0), false, 0, 2, 8, null, 600, 20, 300, 300, 1e-4, 1e-3, 1.0, 64, 128,
          0.01, 0.5, 0.99, 1, 0.5, 0.1, CandidateSettings.defaults());
    }

    @Override
    public void validate(List<String> problems) {
      if (budget == null) { // CostBudget checks its own values when bound
        problems.add("budget: must be given");
      }
      if (activationBits < 0 || activationBits > 16) {
        problems.add("activationBits: must be in [0, 16], was " + activationBits);
      }
      if (minBits < 1 || minBits > 16) {
        problems.add("minBits: must be in [1, 16], was " + minBits);
      }
      if (maxBits < minBits || maxBits > 16) {
        problems.add("maxBits: must be in [minBits, 16], was " + maxBits);
      }
      positive(problems, "episodes", episodes);
      if (warmup < 0) {
        problems.add("warmup: must be >= 0, was " + warmup);
      }
      positive(problems, "hidden1", hidden1);
      positive(problems, "hidden2", hidden2);
      positive(problems, "batchSize", batchSize);
      positive(problems, "memoryPerLayer", memoryPerLayer);
      if (updatesPerStep < 0) {
        problems.add("updatesPerStep: must be >= 0, was " + updatesPerStep);
      }
      finitePositive(problems, "actorLearningRate", actorLearningRate);
      finitePositive(problems, "criticLearningRate", criticLearningRate);
      finitePositive(problems, "initDelta", initDelta);
      finitePositive(problems, "rewardScale", rewardScale);
      unit(problems, "discount", discount, true);
      unit(problems, "tau", tau, false);
      unit(problems, "deltaDecay", deltaDecay, false);
      unit(problems, "movingAverageAlpha", movingAverageAlpha, true);
      if (candidates == null) {
        problems.add("candidates: must be given");
      }
    }

    private static void positive(List<String> problems, String key, int value) {
      if (value < 1) {
        problems.add(key + ": must be >= 1, was " + value);
      }
    }

    private static void finitePositive(List<String> problems, String key, double value) {
      if (!(value > 0) || Double.isInfinite(value)) {
        problems.add(key + ": must be a finite number > 0, was " + value);
      }
    }

    private static void unit(List<String> problems, String key, double value, boolean zeroAllowed) {
      if (!(value >= 0 && value <= 1) || (!zeroAllowed && value == 0)) {
        problems.add(key + ": must be in " + (zeroAllowed ? "[0, 1]" : "(0, 1]") + ", was " + value);
      }
    }

    /** The environment settings these parameters give. */
    public HaqEnvironment.Settings environment() {
      return new HaqEnvironment.Settings(minBits, maxBits, weightOnly, activationBits,
          keepFirstLast != null ? keepFirstLast : !weightOnly);
    }
  }

  @Override
  public String summary() {
    return "DDPG agent picks per-layer weight/activation bits under a cost budget (HAQ's final-action wall), rewarded by "
        + "validation accuracy";
  }

  @Override
  public String paper() {
    return "Wang, Liu, Lin, Lin, Han: HAQ: Hardware-Aware Automated Quantization with Mixed Precision, CVPR 2019";
  }

  @Override
  public Class<Parameters> parametersType() {
    return Parameters.class;
  }

  @Override
  public void check(StrategyContext context) {
    limit(context, context.parameters(Parameters.class));
  }

  /** The budget after checking that the cheapest reachable scheme fits it. */
  private static double limit(StrategyContext context, Parameters p) {
    HaqEnvironment.Settings s = p.environment();
    String how = "every counted layer at " + s.minBits() + "-bit weights"
        + (s.weightOnly() ? (s.activationBits() > 0 ? " and " + s.activationBits() + "-bit activations" : "")
        : " and activations") + (s.keepFirstLast() ? ", the first and last at 8 bits" : "");
    CostTarget target = context.costTarget();
    return p.budget().checkedLimit(target, context.layers(), HaqEnvironment.cheapest(context.layers(), s), how);
  }

  @Override
  public StrategyOutcome run(StrategyContext context) {
    Parameters p = context.parameters(Parameters.class);
    double limit = limit(context, p);
    CostTarget target = context.costTarget();
    HaqEnvironment env = new HaqEnvironment(context.layers(), target.table(), limit, p.environment());
    DdpgAgent agent = new DdpgAgent(new DdpgAgent.Settings(HaqEnvironment.FEATURES, p.hidden1(), p.hidden2(),
        p.actorLearningRate(), p.criticLearningRate(), p.tau(), p.discount(), p.batchSize(),
        p.memoryPerLayer() * env.layers(), p.initDelta(), p.deltaDecay(), p.warmup(), p.movingAverageAlpha(),
        context.seed()));
    HaqSearch.Result result;
    double full;
    try (CandidateEvaluator evaluator = context.candidates(p.candidates())) {
      full = evaluator.fullPrecision().top1();
      result = HaqSearch.run(env, agent, p.episodes(), p.updatesPerStep(), full, p.rewardScale(),
          new HaqSearch.Evaluation() {
            @Override public boolean canEvaluate() { return evaluator.canEvaluate(); }

            @Override public double accuracy(QuantizationScheme scheme, double cost,
                                             java.util.function.DoubleUnaryOperator reward) {
              return evaluator.evaluate(scheme, r -> reward.applyAsDouble(r.top1())).top1();
            }
          });
    }
    QuantizationScheme scheme = result.best();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("objective", target.describe());
    details.put("costLimit", limit);
    details.put("mode", p.weightOnly() ? "weights" : "weights+activations");
    details.put("episodes", result.episodes());
    details.put("warmupEpisodes", Math.min(result.episodes(), p.warmup() + 1));
    details.put("agentUpdates", result.updates());
    details.put("agentSeconds", result.agentSeconds());
    details.put("fullPrecisionTop1", full);
    if (scheme == null) {
      // No episode fitted the evaluation/time budget: the maximum bits pushed under the budget, unevaluated.
      env.reset();
      while (!env.done()) {
        env.step(1.0);
      }
      scheme = env.scheme();
      details.put("note", "no evaluation fitted the budget; the scheme is the maximum bits pushed under the cost "
          + "budget");
    } else {
      details.put("bestReward", result.bestReward());
      details.put("bestTop1", result.bestAccuracy());
      details.put("bestCost", result.bestCost());
    }
    return new StrategyOutcome(scheme, List.of(), details);
  }
}
