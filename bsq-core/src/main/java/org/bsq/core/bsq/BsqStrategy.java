package org.bsq.core.bsq;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.config.ConfigBinder;
import org.bsq.core.config.Validated;
import org.bsq.core.data.BatchSource;
import org.bsq.core.data.FractionalEpochs;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Model;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.LayerCostTable;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyOutcome;
import org.bsq.core.train.Checkpoint;
import org.bsq.core.train.EpochContext;
import org.bsq.core.train.EpochHook;
import org.bsq.core.train.EpochRecord;
import org.bsq.core.train.LearningRateSchedule;
import org.bsq.core.train.RecipePlan;
import org.bsq.core.train.SgdSettings;
import org.bsq.core.train.StepHook;
import org.bsq.core.train.Trainer;
import org.bsq.core.train.TrainingConfig;
import org.bsq.core.train.TrainingListener;
import org.bsq.core.train.TrainingResult;

/**
 * BSQ (Yang et al., ICLR 2021) as a {@link QuantizationStrategy}, registered as {@value #NAME}: the BSQ training
 * phase of {@code cifar_prune_STE.py} (docs/algorithm.md sections 2-9). The harness finetunes the proposed scheme
 * afterwards; the model is handed back with its converted layers still bound to {@link BitPlaneWeightSource}s (which
 * implement {@link org.bsq.core.finetune.NormalizedWeights}, where the finetuning starts from).
 *
 * <p><b>Run.</b> Every conv and linear layer except projection shortcuts is converted to {@code initialBits} bit planes
 * ({@link BitRepresentation#install}); a {@link Trainer} then trains on {@code context.train()} with SGD
 * ({@code learningRate}, {@code momentum}, {@code weightDecay} on every trainable parameter, planes and scales included,
 * as the reference), a per-epoch step schedule, the loss {@code CE + alpha * R / TP} ({@link BitLassoRegularizer}; each layer weighted by its memory as the paper,
 * or with {@code regularizerWeighting: latency|energy} by the simulated cost of one of its bits on
 * {@code weightingAccelerator}, {@link #weighting}, docs/hardware-aware-bsq.md), the
 * [0, 2] clamp after every step ({@link PlaneClampHook}; {@code clampMode}) and re-quantization with precision
 * adjustment before epoch 0, before every {@code requantizeInterval}-th epoch and after the last one
 * ({@link RequantizeHook}, maximum {@code maxBits}, threshold {@code pruningThreshold}). The outcome's scheme is
 * {@link BitRepresentation#scheme(int)} after the final adjustment (a 1-bit all-zero layer is reported as 0 bits).
 *
 * <p><b>Budget scaling.</b> The epoch-valued parameters ({@code lrMilestones}, {@code requantizeInterval}) are given
 * in epochs of a recipe of {@code recipeEpochs} epochs (the paper: 350, milestone 250, interval 100) and scale with
 * the budget {@code E = budget.epochs()} as {@link RecipePlan} says (docs/algorithm.md section 9, decision 0009). A
 * whole budget trains {@code E} whole epochs with every event at an epoch boundary, {@code max(1, round(x * E /
 * recipeEpochs))} for a recipe epoch {@code x} (35 epochs: milestone 25, interval 10). A fractional budget trains
 * {@code T = round(E * B)} optimizer steps ({@code B} batches per epoch of the training source; the last epoch is cut
 * short) and every event happens at the recipe's fraction of {@code T} to within one step: 1.4 epochs of 391 batches
 * are 547 steps, the learning rate drops before step 391 and re-quantization happens before steps 0, 156, 312 and
 * 468 and after step 547. A budget of 0 epochs trains nothing and only re-quantizes and adjusts the precision once.
 * See {@link Plan}, whose steps {@code run.json} records in {@code details.plan}.
 *
 * <p><b>Resume.</b> Checkpoints go to {@code context.workDir()/}{@value #CHECKPOINT_DIR} after every epoch (and every
 * {@code checkpointEverySteps} steps when that is {@code > 0}); when the folder already holds a checkpoint, the run
 * restores it ({@link Trainer#restore}) and continues, ending with the same scheme, parameters and trajectory as an
 * uninterrupted run. The average bits in effect during each epoch are kept in the store as the buffer
 * {@value #AVERAGE_BITS_BUFFER} while training (so they survive a resume) and removed before returning.
 *
 * <p><b>Outcome details</b> (JSON-serializable): {@code parameters}, {@code plan}, {@code layers} (per converted layer:
 * bits, scale, % non-zero {@code p - n} per plane MSB first, bias bits and planes, as the reference's
 * {@code print_stat}), {@code layerStatistics} (the same as printed text), {@code regularizerPerEpoch} (mean of
 * {@code alpha * R / TP} over the epoch's steps), {@code averageBitsPerEpoch} (the reference's {@code TB / TP} during
 * each epoch), {@code referenceBookkeeping} ({@code averageBits}, {@code compression}, {@code totalParams},
 * {@code totalBits}: the reference's {@code TB / TP} bookkeeping after the final adjustment, where a linear bias counts
 * at its own precision and a pruned layer at 1 bit, so it can differ slightly from the run record's {@code avgBits},
 * the one definition the project reports; see docs/algorithm.md).
 */
public final class BsqStrategy implements QuantizationStrategy {
  /** Registered name. */
  public static final String NAME = "bsq";

  @Override
  public String summary() {
    return "trains every bit of every weight; a bit-level group Lasso drops whole bit planes per layer (one run)";
  }

  @Override
  public String paper() {
    return "Yang et al., \"BSQ: Exploring Bit-Level Sparsity for Mixed-Precision Neural Network Quantization\", ICLR 2021";
  }
  /** Sub-folder of the work folder that holds the BSQ phase's checkpoints. */
  public static final String CHECKPOINT_DIR = "bsq-checkpoints";
  /** Store buffer with the average bits of every epoch (present only during {@link #run}). */
  public static final String AVERAGE_BITS_BUFFER = "bsq.averageBitsPerEpoch";

  /** Clamp of the parameters after every step. */
  public static final String CLAMP_BIT_PLANES = "bit-planes";
  /** Clamp as the reference code: every parameter whose name lacks "scale" and "bn" (golden 08). */
  public static final String CLAMP_REFERENCE_COMPATIBLE = "reference-compatible";

  /**
   * BSQ's parameters (bound from the config's strategy section with {@link ConfigBinder}; missing keys take
   * {@link #defaults()}).
   *
   * @param alpha regularization strength ({@code >= 0}); the paper sweeps 3e-3 .. 2e-2
   * @param initialBits precision of the bit representation at the start (1..16; paper 8)
   * @param maxBits precision a layer may grow to at re-quantization (1..16, {@code >= initialBits}; paper 8)
   * @param learningRate SGD base learning rate ({@code > 0}; paper 0.1)
   * @param momentum SGD momentum (in [0, 1); paper 0.9)
   * @param weightDecay L2 penalty on every trainable parameter ({@code >= 0}; paper 1e-4)
   * @param recipeEpochs the number of epochs the epoch-valued parameters refer to ({@code > 0}; paper 350)
   * @param lrMilestones epochs of the recipe at which the learning rate is multiplied by {@code lrGamma} (each
   *     {@code > 0}; paper [250])
   * @param lrGamma the learning-rate factor at each milestone ({@code > 0}; paper 0.1)
   * @param requantizeInterval re-quantize every this many recipe epochs ({@code > 0}; README 100, script default 50)
   * @param pruningThreshold precision-adjustment threshold in percent ([0, 100]; paper 0)
   * @param clampMode {@value #CLAMP_BIT_PLANES} (default) or {@value #CLAMP_REFERENCE_COMPATIBLE}
   * @param resetAllOptimizerState reset every parameter's momentum at each adjustment, as the reference re-creates its
   *     optimizer (true); false resets only the layers whose precision changed
   * @param activationBits activation bits of the scheme's converted layers (paper 4, the model's {@code actBits}).
   *     The harness applies them to the ReLU6-family activation nodes feeding those layers (docs/algorithm.md 4.1):
   *     0 and the model's {@code actBits} keep the graph's activations, 1..16 quantize, 32 is unquantized ReLU6.
   * @param evaluateEvery evaluate on the validation split after every this many epochs (0: never, the default)
   * @param checkpointEverySteps also checkpoint every this many optimizer steps (0: after each epoch only)
   * @param regularizerWeighting how each layer's group-Lasso term is weighted ({@link RegularizerWeighting}):
   *     {@value RegularizerWeighting#MEMORY} (absent, the default: the paper's {@code P_l * N_l}; normalized to absent,
   *     so a config that names it has the same identity as one that does not), or {@code latency} / {@code energy}:
   *     hardware-aware BSQ, by the simulated marginal cost of one bit of the layer on {@code weightingAccelerator}
   *     (docs/hardware-aware-bsq.md)
   * @param weightingAccelerator the accelerator preset of hardware-aware BSQ (one of the run's {@code accelerators:});
   *     only with {@code latency} or {@code energy}
   */
  public record Parameters(double alpha, int initialBits, int maxBits, double learningRate, double momentum,
      double weightDecay, double recipeEpochs, List<Double> lrMilestones, double lrGamma, double requantizeInterval,
      double pruningThreshold, String clampMode, boolean resetAllOptimizerState, int activationBits,
      int evaluateEvery, int checkpointEverySteps,
      @JsonInclude(JsonInclude.Include.NON_NULL) String regularizerWeighting,
      @JsonInclude(JsonInclude.Include.NON_NULL) String weightingAccelerator) implements Validated {

    public Parameters {
      lrMilestones = lrMilestones == null ? null : List.copyOf(lrMilestones);
      if (RegularizerWeighting.MEMORY.equals(regularizerWeighting)) {
        regularizerWeighting = null;
      }
    }

    /** The paper's parameters without hardware weighting (the record's first sixteen components). */
    public Parameters(double alpha, int initialBits, int maxBits, double learningRate, double momentum,
        double weightDecay, double recipeEpochs, List<Double> lrMilestones, double lrGamma, double requantizeInterval,
        double pruningThreshold, String clampMode, boolean resetAllOptimizerState, int activationBits,
        int evaluateEvery, int checkpointEverySteps) {
      this(alpha, initialBits, maxBits, learningRate, momentum, weightDecay, recipeEpochs, lrMilestones, lrGamma,
          requantizeInterval, pruningThreshold, clampMode, resetAllOptimizerState, activationBits, evaluateEvery,
          checkpointEverySteps, null, null);
    }

    /** The paper's CIFAR-10 ResNet-20 recipe (docs/algorithm.md section 9.1) at alpha 5e-3. */
    public static Parameters defaults() {
      return new Parameters(5e-3, 8, 8, 0.1, 0.9, 1e-4, 350, List.of(250.0), 0.1, 100, 0.0, CLAMP_BIT_PLANES, true,
          4, 0, 0);
    }

    /** {@value RegularizerWeighting#MEMORY}, {@code latency} or {@code energy}. */
    public String weightingMode() {
      return regularizerWeighting == null ? RegularizerWeighting.MEMORY : regularizerWeighting;
    }

    /** Whether the regularizer is weighted by hardware cost (not memory). */
    public boolean hardwareWeighted() {
      return regularizerWeighting != null;
    }

    /** Binds a strategy section (absent: the defaults); every problem is reported at once. */
    public static Parameters from(JsonNode node) {
      return ConfigBinder.bind(node, Parameters.class, "strategy.params (bsq)");
    }

    @Override
    public void validate(List<String> problems) {
      if (!(alpha >= 0) || Double.isInfinite(alpha)) {
        problems.add("alpha: must be finite and >= 0, was " + alpha);
      }
      if (initialBits < 1 || initialBits > 16) {
        problems.add("initialBits: must be in [1, 16], was " + initialBits);
      }
      if (maxBits < 1 || maxBits > 16) {
        problems.add("maxBits: must be in [1, 16], was " + maxBits);
      } else if (maxBits < initialBits && initialBits >= 1 && initialBits <= 16) {
        problems.add("maxBits: must be >= initialBits (" + initialBits + "), was " + maxBits);
      }
      if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
        problems.add("learningRate: must be finite and > 0, was " + learningRate);
      }
      if (!(momentum >= 0 && momentum < 1)) {
        problems.add("momentum: must be in [0, 1), was " + momentum);
      }
      if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
        problems.add("weightDecay: must be finite and >= 0, was " + weightDecay);
      }
      if (!(recipeEpochs > 0) || Double.isInfinite(recipeEpochs)) {
        problems.add("recipeEpochs: must be finite and > 0, was " + recipeEpochs);
      }
      if (lrMilestones == null) {
        problems.add("lrMilestones: must be a list (may be empty), was null");
      } else {
        for (int i = 0; i < lrMilestones.size(); i++) {
          Double m = lrMilestones.get(i);
          if (m == null || !(m > 0) || m.isInfinite()) {
            problems.add("lrMilestones[" + i + "]: must be finite and > 0, was " + m);
          }
        }
      }
      if (!(lrGamma > 0) || Double.isInfinite(lrGamma)) {
        problems.add("lrGamma: must be finite and > 0, was " + lrGamma);
      }
      if (!(requantizeInterval > 0) || Double.isInfinite(requantizeInterval)) {
        problems.add("requantizeInterval: must be finite and > 0, was " + requantizeInterval);
      }
      if (!(pruningThreshold >= 0 && pruningThreshold <= 100)) {
        problems.add("pruningThreshold: must be a percentage in [0, 100], was " + pruningThreshold);
      }
      if (!CLAMP_BIT_PLANES.equals(clampMode) && !CLAMP_REFERENCE_COMPATIBLE.equals(clampMode)) {
        problems.add("clampMode: must be one of [" + CLAMP_BIT_PLANES + ", " + CLAMP_REFERENCE_COMPATIBLE + "], was '"
            + clampMode + "'");
      }
      if (!(activationBits >= 0 && activationBits <= 16) && activationBits != 32) {
        problems.add("activationBits: must be in [0, 16] (0 = not quantized) or 32, was " + activationBits);
      }
      if (evaluateEvery < 0) {
        problems.add("evaluateEvery: must be >= 0, was " + evaluateEvery);
      }
      if (checkpointEverySteps < 0) {
        problems.add("checkpointEverySteps: must be >= 0, was " + checkpointEverySteps);
      }
      List<String> modes = List.of(RegularizerWeighting.MEMORY, CostMetric.LATENCY.label(), CostMetric.ENERGY.label());
      if (regularizerWeighting != null && !modes.contains(regularizerWeighting)) {
        problems.add("regularizerWeighting: must be one of " + modes + ", was '" + regularizerWeighting + "'");
      } else if (regularizerWeighting != null && weightingAccelerator == null) {
        problems.add("weightingAccelerator: must name an accelerator preset of the run's 'accelerators:' for "
            + "regularizerWeighting " + regularizerWeighting + ", was absent");
      } else if (regularizerWeighting == null && weightingAccelerator != null) {
        problems.add("weightingAccelerator: only applies to regularizerWeighting latency or energy (the weighting is "
            + "memory), was '" + weightingAccelerator + "'");
      }
    }

    /** The clamp hook's mode. */
    public PlaneClampHook.Mode clamp() {
      return CLAMP_REFERENCE_COMPATIBLE.equals(clampMode) ? PlaneClampHook.Mode.REFERENCE_COMPATIBLE
          : PlaneClampHook.Mode.BIT_PLANES;
    }

    /** SGD settings: decay on every trainable parameter, no Nesterov (as the reference). */
    public SgdSettings sgd() {
      return SgdSettings.of(learningRate, momentum, weightDecay);
    }
  }

  /**
   * How a budget is spent (see the class comment, "Budget scaling"), from a {@link RecipePlan}. Every event is also
   * given in global optimizer steps: the learning rate drops before each of {@code lrMilestoneSteps}, re-quantization
   * happens before each of {@code requantizeBeforeSteps} (0 included) and once more after {@code totalSteps}.
   *
   * @param budgetEpochs the budget {@code E}
   * @param epochs trainer epochs ({@code ceil(E)}; 0 when {@code E == 0})
   * @param stepsPerEpoch batches per trainer epoch (all of the source's: a fractional budget cuts the last epoch)
   * @param fullStepsPerEpoch batches per epoch of the training source {@code B}
   * @param lrMilestones learning-rate milestones in trainer epochs (whole budgets; empty for fractional ones, whose
   *     milestones are steps inside epochs)
   * @param requantizeInterval re-quantization interval in trainer epochs (whole budgets; 0 for fractional ones)
   * @param totalSteps optimizer steps of the run {@code T}
   * @param stepGranular whether events fall at steps inside epochs (a fractional budget)
   * @param lrMilestoneSteps the global steps before which the learning rate drops
   * @param requantizeBeforeSteps the global steps before which BSQ re-quantizes (0 first)
   */
  public record Plan(double budgetEpochs, int epochs, int stepsPerEpoch, int fullStepsPerEpoch,
      List<Integer> lrMilestones, int requantizeInterval, long totalSteps, boolean stepGranular,
      List<Long> lrMilestoneSteps, List<Long> requantizeBeforeSteps) {
    public Plan {
      lrMilestones = List.copyOf(lrMilestones);
      lrMilestoneSteps = List.copyOf(lrMilestoneSteps);
      requantizeBeforeSteps = List.copyOf(requantizeBeforeSteps);
    }

    /** Spends {@code budgetEpochs} epochs of a source with {@code batchesPerEpoch} batches per epoch. */
    public static Plan of(Parameters p, double budgetEpochs, int batchesPerEpoch) {
      if (!(budgetEpochs >= 0) || Double.isInfinite(budgetEpochs)) {
        throw new IllegalArgumentException("budget epochs must be finite and >= 0, was " + budgetEpochs);
      }
      if (batchesPerEpoch < 1) {
        throw new IllegalArgumentException("batches per epoch must be >= 1, was " + batchesPerEpoch);
      }
      if (budgetEpochs == 0) {
        return new Plan(budgetEpochs, 0, 0, batchesPerEpoch, List.of(), 1, 0, false, List.of(), List.of());
      }
      RecipePlan r = RecipePlan.of(p.recipeEpochs(), budgetEpochs, batchesPerEpoch);
      List<Long> milestoneSteps = r.milestoneSteps(p.lrMilestones());
      List<Long> requantize = new ArrayList<>();
      requantize.add(0L);
      requantize.addAll(r.periodicSteps(p.requantizeInterval()));
      if (r.stepGranular()) {
        return new Plan(budgetEpochs, r.epochs(), batchesPerEpoch, batchesPerEpoch, List.of(), 0, r.totalSteps(),
            true, milestoneSteps, requantize);
      }
      int n = r.epochs();
      return new Plan(budgetEpochs, n, batchesPerEpoch, batchesPerEpoch,
          FractionalEpochs.scaleMilestones(p.lrMilestones(), p.recipeEpochs(), n),
          FractionalEpochs.scaleEpoch(p.requantizeInterval(), p.recipeEpochs(), n), r.totalSteps(), false,
          milestoneSteps, requantize);
    }

    /**
     * The learning-rate schedule: x {@code gamma} at each milestone, in trainer epochs (whole budgets) or at
     * {@code lrMilestoneSteps} (fractional budgets; evaluated every step); constant without any.
     */
    public LearningRateSchedule schedule(double gamma) {
      if (stepGranular) {
        return lrMilestoneSteps.isEmpty() ? LearningRateSchedule.constant()
            : new LearningRateSchedule.StepMilestones(lrMilestoneSteps, fullStepsPerEpoch, gamma);
      }
      return lrMilestones.isEmpty() ? LearningRateSchedule.constant()
          : new LearningRateSchedule.Step(lrMilestones, gamma);
    }
  }

  @Override
  public Class<Parameters> parametersType() {
    return Parameters.class;
  }

  /**
   * Hardware-aware BSQ: the weighting accelerator must be one of the run's cost models, price the metric, and its
   * marginal cost of one bit must not be 0 for every converted layer at {@code initialBits}.
   */
  @Override
  public void check(StrategyContext context) {
    Parameters p = context.parameters(Parameters.class);
    if (!p.hardwareWeighted()) {
      return;
    }
    RegularizerWeighting w = weighting(p, context);
    List<LayerInfo> converted = context.layers().layers().stream().filter(l -> !l.projectionShortcut()).toList();
    long[] counts = converted.stream().mapToLong(LayerInfo::weightCount).toArray();
    int[] bitsNow = new int[converted.size()];
    java.util.Arrays.fill(bitsNow, p.initialBits());
    try {
      w.multipliers(converted.stream().map(LayerInfo::name).toList(), counts, bitsNow);
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException("strategy.params.regularizerWeighting: " + e.getMessage(), e);
    }
  }

  /**
   * The regularizer's weighting: memory, or the marginal {@code latency} / {@code energy} of one bit on
   * {@code weightingAccelerator} from that cost model's per-layer lookup table (activation bits
   * {@code activationBits}, precisions 1..{@code maxBits}).
   */
  public static RegularizerWeighting weighting(Parameters p, StrategyContext context) {
    if (!p.hardwareWeighted()) {
      return RegularizerWeighting.memory();
    }
    CostMetric metric = CostMetric.of(p.regularizerWeighting());
    org.bsq.core.strategy.SchemeCostModel model;
    try {
      model = context.costTarget().model(p.weightingAccelerator());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("strategy.params.weightingAccelerator: " + e.getMessage(), e);
    }
    LayerCostTable table = model.table(context.layers(), metric).orElseThrow(() -> new IllegalArgumentException(
        "strategy.params.weightingAccelerator: cost model '" + p.weightingAccelerator() + "' must price "
            + metric.label() + " per layer to weight BSQ's regularizer, it does not (name an accelerator preset)"));
    return RegularizerWeighting.hardware(metric.label(),
        MarginalBitCost.of(table, p.weightingAccelerator(), p.activationBits(), p.maxBits()));
  }

  @Override
  public StrategyOutcome run(StrategyContext context) {
    Parameters p = context.parameters(Parameters.class);
    Plan plan = Plan.of(p, context.budget().epochs(), context.train().batchesPerEpoch());
    Model model = context.model();
    RegularizerWeighting weighting = weighting(p, context);
    BitRepresentation bits = BitRepresentation.install(model, p.initialBits());
    List<EpochRecord> trajectory = List.of();
    List<Double> averageBits = new ArrayList<>();
    if (plan.epochs() == 0) {
      bits.requantizeAndAdjust(p.maxBits(), p.pruningThreshold());
    } else {
      ParameterStore store = model.parameters();
      store.add(new Parameter(AVERAGE_BITS_BUFFER, new int[] {plan.epochs()}, ParameterRole.STRATEGY_BUFFER,
          new float[plan.epochs()]));
      Path checkpoints = context.workDir().resolve(CHECKPOINT_DIR);
      Trainer.Builder builder = builder(model, bits, p, plan, context.train(), context.backend(), context.seed(),
          checkpoints, null, context.listeners(), weighting);
      if (p.evaluateEvery() > 0) {
        builder.evaluation(context.validation());
      }
      context.listeners().forEach(builder::listener);
      Trainer trainer = builder.build();
      if (Checkpoint.exists(checkpoints)) {
        trainer.restore(checkpoints);
      }
      TrainingResult result = trainer.train();
      trajectory = result.history();
      for (float v : store.get(AVERAGE_BITS_BUFFER).value()) {
        averageBits.add((double) v);
      }
      store.remove(AVERAGE_BITS_BUFFER);
    }
    QuantizationScheme scheme = bits.scheme(p.activationBits());
    Map<String, List<Double>> planes = new LinkedHashMap<>();
    List<LayerStatistics> statistics = bits.statistics();
    for (LayerStatistics st : statistics) {
      planes.put(st.layer(), st.weightNonZeroPercent().stream().map(v -> v / 100.0).toList());
    }
    Map<String, Object> details = details(p, plan, bits, statistics, trajectory, averageBits);
    details.put("regularizerWeighting", weightingDetails(p, bits, weighting));
    return new StrategyOutcome(scheme, trajectory, details, planes);
  }



  /**
   * The trainer of the BSQ phase: loss term, step hooks (an optional {@code probe} runs after the optimizer step and
   * before the clamp), re-quantization and the bits recorder. Package-private for the golden test.
   */
  static Trainer.Builder builder(Model model, BitRepresentation bits, Parameters p, Plan plan, BatchSource train,
      Backend backend, long seed, Path checkpointDir, StepHook probe, List<TrainingListener> listeners) {
    return builder(model, bits, p, plan, train, backend, seed, checkpointDir, probe, listeners,
        RegularizerWeighting.memory());
  }

  /** {@link #builder} with the regularizer weighted by {@code weighting}. */
  static Trainer.Builder builder(Model model, BitRepresentation bits, Parameters p, Plan plan, BatchSource train,
      Backend backend, long seed, Path checkpointDir, StepHook probe, List<TrainingListener> listeners,
      RegularizerWeighting weighting) {
    BitLassoRegularizer regularizer = new BitLassoRegularizer(bits, p.alpha(), weighting);
    TrainingConfig config = new TrainingConfig(plan.epochs(), p.sgd(), plan.schedule(p.lrGamma()),
        plan.stepGranular(), seed, p.evaluateEvery() > 0 ? p.evaluateEvery() : 1, checkpointDir, 1,
        p.checkpointEverySteps(), false, plan.stepGranular() ? plan.totalSteps() : 0);
    Trainer.Builder b = Trainer.builder(backend, model, config,
            FractionalEpochs.limitBatches(train, plan.stepsPerEpoch()))
        .lossTerm(regularizer);
    if (probe != null) {
      b.stepHook(probe);
    }
    RequantizeHook requantize = plan.stepGranular()
        ? RequantizeHook.atSteps(bits, plan.requantizeBeforeSteps().subList(1, plan.requantizeBeforeSteps().size()),
            plan.fullStepsPerEpoch(), p.maxBits(), p.pruningThreshold(), p.resetAllOptimizerState())
        : new RequantizeHook(bits, plan.requantizeInterval(), p.maxBits(), p.pruningThreshold(),
            p.resetAllOptimizerState());
    return b.stepHook(new PlaneClampHook(bits, p.clamp()))
        .epochHook(requantize)
        .epochHook(new BitsRecorder(bits, requantize, listeners, regularizer));
  }

  /**
   * {@code details.regularizerWeighting}: the mode, what it prices, and per converted layer the final multiplier of its
   * weight groups and its ratio to the memory weighting {@code P_l * N_l} (1 everywhere in memory mode).
   */
  private static Map<String, Object> weightingDetails(Parameters p, BitRepresentation bits,
                                                      RegularizerWeighting weighting) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("mode", weighting.mode());
    if (p.hardwareWeighted()) {
      d.put("accelerator", p.weightingAccelerator());
    }
    d.put("prices", weighting.describe());
    List<BitPlaneWeightSource> layers = bits.layers();
    List<String> names = layers.stream().map(BitPlaneWeightSource::layer).toList();
    long[] counts = layers.stream().mapToLong(BitPlaneWeightSource::weightCount).toArray();
    int[] now = layers.stream().mapToInt(BitPlaneWeightSource::bits).toArray();
    double[] w = weighting.multipliers(names, counts, now);
    Map<String, Object> perLayer = new LinkedHashMap<>();
    for (int l = 0; l < w.length; l++) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("bits", now[l]);
      e.put("multiplier", w[l]);
      e.put("relativeToMemory", w[l] / ((double) counts[l] * now[l]));
      if (weighting instanceof RegularizerWeighting.Hardware h) {
        e.put("marginalCostOfOneBit", h.marginals(names, now)[l]);
      }
      perLayer.put(names.get(l), e);
    }
    d.put("finalLayers", perLayer);
    return d;
  }

  /**
   * Writes the average bits of the epoch about to start into {@value #AVERAGE_BITS_BUFFER} (after re-quantization) and,
   * after every re-quantization, tells the listeners the precision it left, as the reference's log does.
   */
  private record BitsRecorder(BitRepresentation bits, RequantizeHook requantize, List<TrainingListener> listeners,
                              BitLassoRegularizer regularizer) implements EpochHook {
    @Override
    public void beforeEpoch(EpochContext context) {
      Parameter buffer = context.parameters().get(AVERAGE_BITS_BUFFER);
      buffer.value()[context.epoch()] = (float) bits.averageBits();
      if (requantize.adjustsBefore(context.epoch())) {
        note("re-quantized before epoch " + (context.epoch() + 1));
      }
    }

    @Override
    public boolean actsBeforeStep(long globalStep) {
      return requantize.actsBeforeStep(globalStep);
    }

    @Override
    public void beforeStep(EpochContext context) {
      note("re-quantized before step " + context.globalStep() + " (in epoch " + (context.epoch() + 1) + ")");
    }

    @Override
    public void afterTraining(EpochContext context) {
      note("final re-quantization");
    }

    private void note(String when) {
      if (listeners.isEmpty()) {
        return;
      }
      StringBuilder layers = new StringBuilder();
      bits.bitsByLayer().forEach((name, nb) -> layers.append(layers.length() == 0 ? "" : ", ").append(name)
          .append(' ').append(nb[0]));
      String text = String.format(java.util.Locale.ROOT, "bsq: %s: average %.3f weight bits (TB/TP), %.2fx; "
          + "bits per layer: %s", when, bits.averageBits(), bits.compression(), layers);
      if (!RegularizerWeighting.MEMORY.equals(regularizer.weighting().mode())) {
        double[] w = regularizer.multipliers();
        StringBuilder rel = new StringBuilder();
        List<BitPlaneWeightSource> ls = bits.layers();
        for (int l = 0; l < w.length; l++) {
          BitPlaneWeightSource s = ls.get(l);
          rel.append(l == 0 ? "" : ", ").append(s.layer()).append(' ')
              .append(String.format(java.util.Locale.ROOT, "%.3g", w[l] / ((double) s.weightCount() * s.bits())));
        }
        text += "; regularizer weight / memory weight (" + regularizer.weighting().describe() + "): " + rel;
      }
      String line = text;
      listeners.forEach(l -> l.onNote(line));
    }
  }

  private static Map<String, Object> details(Parameters p, Plan plan, BitRepresentation bits,
      List<LayerStatistics> statistics, List<EpochRecord> trajectory, List<Double> averageBits) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("parameters", p);
    d.put("plan", plan);
    List<Map<String, Object>> layers = new ArrayList<>();
    List<String> text = new ArrayList<>();
    for (LayerStatistics s : statistics) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("layer", s.layer());
      l.put("bits", s.bits());
      l.put("scale", (double) s.scale());
      l.put("weightNonZeroPercent", s.weightNonZeroPercent());
      l.put("biasBits", s.biasBits());
      l.put("biasNonZeroPercent", s.biasNonZeroPercent());
      layers.add(l);
      text.add(s.format());
    }
    d.put("layers", layers);
    d.put("layerStatistics", text);
    d.put("regularizerPerEpoch", trajectory.stream().map(r -> r.trainObjective() - r.trainLoss()).toList());
    d.put("averageBitsPerEpoch", List.copyOf(averageBits));
    Map<String, Object> reference = new LinkedHashMap<>();
    reference.put("averageBits", bits.averageBits());
    reference.put("compression", bits.compression());
    reference.put("totalParams", bits.totalParams());
    reference.put("totalBits", bits.totalBits());
    d.put("referenceBookkeeping", reference);
    return d;
  }
}
