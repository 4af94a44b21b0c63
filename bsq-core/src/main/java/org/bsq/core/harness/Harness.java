package org.bsq.core.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.data.FractionalEpochs;
import org.bsq.core.engine.Model;
import org.bsq.core.finetune.FixedPrecisionWeightSource;
import org.bsq.core.finetune.SchemeInstaller;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.json.Json;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.provenance.Digests;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.SearchStep;
import org.bsq.core.strategy.SchemeCostModel;
import org.bsq.core.strategy.StrategyOutcome;
import org.bsq.core.train.Checkpoint;
import org.bsq.core.train.EpochRecord;
import org.bsq.core.train.EvaluationResult;
import org.bsq.core.train.Evaluator;
import org.bsq.core.train.LearningRateSchedule;
import org.bsq.core.train.RecipePlan;
import org.bsq.core.train.SgdSettings;
import org.bsq.core.train.Trainer;
import org.bsq.core.train.TrainingConfig;
import org.bsq.core.train.TrainingListener;
import org.bsq.core.train.TrainingResult;

/**
 * Runs every strategy the same way: the strategy proposes a scheme, the harness puts the model under that fixed
 * scheme, evaluates it on the test split, finetunes it, evaluates again, prices the scheme with every cost model and
 * writes {@code run.json}. A strategy never reports its own headline number.
 *
 * <p>Resumable: the strategy's outcome and the model after the strategy are saved in {@code runDir/strategy/};
 * finetuning checkpoints every epoch in {@code runDir/finetune/}. Running the same experiment again on a run folder
 * continues where it stopped (a strategy resumes its own phase from {@code context.workDir()}), and ends with the same
 * result as an uninterrupted run.
 */
public final class Harness {
  /** File name of the run record. */
  public static final String RUN_JSON = "run.json";
  /** Sub-folder of the run folder with the final model (parameters only), as evaluated for the run record. */
  public static final String MODEL_DIR = "model";

  /** {@link RunRecord.Trajectory#finetuneEvaluatedOn()} of a strategy that asked for no finetuning. */
  public static final String NO_FINETUNING = "none";

  private final List<TrainingListener> listeners;

  public Harness(List<TrainingListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  /** What the strategy phase leaves behind (saved for resume). */
  record StrategyPhase(List<RunRecord.Layer> scheme, List<EpochRecord> trajectory, JsonNode details,
                       Map<String, List<Double>> weightPlaneNonZero, double top1Float, double top1BeforeFinetune,
                       double seconds, Boolean finetune, List<SearchStep> search) {
    StrategyPhase {
      finetune = finetune == null || finetune; // outcome files of earlier versions: always finetuned
      search = search == null ? List.of() : List.copyOf(search);
    }
  }

  /**
   * Runs the experiment into {@code e.runDir()} and returns its record. If anything fails after the start, a record
   * with status {@code failed}, the phase and the error is written as {@code run.json} and the error rethrown; the
   * checkpoints stay, so running the same experiment again continues from them.
   */
  public RunRecord run(Experiment e) {
    long start = System.nanoTime();
    String[] phase = {"strategy"};
    try {
      return runPhases(e, start, phase);
    } catch (RuntimeException | Error ex) {
      try {
        RunRecord failed = RunRecord.failed(e.strategyName(), e.config(), hash(e.config()), e.context().seed(),
            e.budgetScale(), e.provenance(), new RunRecord.Failure(phase[0], ex.getClass().getName(),
                String.valueOf(ex.getMessage()), (System.nanoTime() - start) / 1e9));
        Json.writeFile(e.runDir().resolve(RUN_JSON), failed);
      } catch (RuntimeException | Error suppressed) {
        ex.addSuppressed(suppressed);
      }
      throw ex;
    }
  }

  private RunRecord runPhases(Experiment e, long start, String[] phase) {
    Model model = e.context().model();
    LayerInventory inventory = e.context().layers();
    Path strategyDir = e.runDir().resolve("strategy");
    Path outcomeFile = strategyDir.resolve("outcome.json");
    Path snapshot = strategyDir.resolve("model");
    double evalSeconds = 0;

    StrategyPhase phaseResult;
    if (Files.isRegularFile(outcomeFile)) {
      phaseResult = Json.readFile(outcomeFile, StrategyPhase.class);
      installFixedScheme(model, toScheme(phaseResult.scheme()));
      Checkpoint.read(snapshot).restoreParameters(model.parameters());
    } else {
      e.strategy().check(e.context());
      phase[0] = "evaluation";
      EvaluationResult floatEval = Evaluator.evaluate(e.context().backend(), model, e.test());
      evalSeconds += floatEval.seconds();
      phase[0] = "strategy";
      long t1 = System.nanoTime();
      e.context().searchLog().start();
      StrategyOutcome outcome = e.strategy().run(e.context());
      double strategySeconds = (System.nanoTime() - t1) / 1e9;
      outcome.scheme().checkAgainst(inventory);
      installFixedScheme(model, outcome.scheme());
      phase[0] = "evaluation";
      EvaluationResult before = Evaluator.evaluate(e.context().backend(), model, e.test());
      evalSeconds += before.seconds();
      phaseResult = new StrategyPhase(layers(outcome.scheme(), inventory,
          org.bsq.core.engine.ActivationSites.of(model.graph())), outcome.trajectory(),
          Json.files().valueToTree(outcome.details()), outcome.weightPlaneNonZero(), floatEval.top1(), before.top1(),
          strategySeconds, outcome.finetune(), e.context().searchLog().steps());
      Checkpoint.ofParameters(model.parameters()).write(snapshot);
      Json.writeFile(outcomeFile, phaseResult);
    }
    StrategyPhase done = phaseResult;
    QuantizationScheme scheme = toScheme(done.scheme());

    phase[0] = "finetune";
    long f0 = System.nanoTime();
    List<EpochRecord> finetuneHistory = List.of();
    RunRecord.FinetunePlan finetunePlan = null;
    double fe = done.finetune() ? e.finetune().epochs() * e.budgetScale() : 0;
    if (fe > 0) {
      RecipePlan plan = RecipePlan.of(e.finetune().epochs(), fe, e.finetuneTrain().batchesPerEpoch());
      finetunePlan = new RunRecord.FinetunePlan(plan.epochs(), plan.totalSteps(), plan.stepGranular(),
          plan.milestoneSteps(e.finetune().milestones()));
      TrainingResult r = finetune(e, model, plan);
      finetuneHistory = r.history();
    }
    double finetuneSeconds = (System.nanoTime() - f0) / 1e9;

    phase[0] = "evaluation";
    EvaluationResult last = Evaluator.evaluate(e.context().backend(), model, e.test());
    evalSeconds += last.seconds();
    EvaluationResult validation = null;
    if (e.validation() != null) {
      validation = Evaluator.evaluate(e.context().backend(), model, e.validation());
      evalSeconds += validation.seconds();
    }
    Checkpoint.ofParameters(model.parameters()).write(e.runDir().resolve(MODEL_DIR));
    phase[0] = "pricing";
    Map<String, Map<String, Double>> cost = new LinkedHashMap<>();
    for (SchemeCostModel c : e.costModels()) {
      cost.put(c.name(), c.price(scheme, inventory,
          done.weightPlaneNonZero() == null ? Map.of() : done.weightPlaneNonZero()));
    }
    Map<String, Object> details = new LinkedHashMap<>();
    done.details().fields().forEachRemaining(f -> details.put(f.getKey(), f.getValue()));
    RunRecord record = new RunRecord(RunRecord.FORMAT_VERSION, RunRecord.STATUS_FINISHED, null, e.strategyName(),
        e.config(), hash(e.config()), e.context().seed(), e.budgetScale(), e.provenance(),
        new RunRecord.Scheme(done.scheme()),
        new RunRecord.Metrics(done.top1Float(), done.top1BeforeFinetune(), last.top1(), last.top5(), last.loss(),
            last.samples(), validation == null ? null : validation.top1(),
            validation == null ? 0 : validation.samples()),
        new RunRecord.Compression(scheme.compression(inventory), scheme.wholeModelCompression(inventory),
            scheme.wholeModelBits(inventory)),
        scheme.averageBits(inventory), cost, new RunRecord.Trajectory(done.trajectory(), finetuneHistory,
            done.finetune() ? finetuneEvaluationSplit(e) : NO_FINETUNING, done.search(), finetunePlan), details,
        new RunRecord.Timings(done.seconds(), finetuneSeconds, evalSeconds, (System.nanoTime() - start) / 1e9),
        new RunRecord.BudgetUse(e.context().budget().epochs(), e.context().budget().evaluations(),
            e.context().budget().seconds(), done.search().size(), done.seconds()));
    Json.writeFile(e.runDir().resolve(RUN_JSON), record);
    return record;
  }

  /**
   * Finetunes as {@code plan} says (the recipe's {@code finetune.epochs} at the scaled budget): a whole budget with
   * the milestones at epochs ({@link FractionalEpochs#scaleMilestones}), a fractional one for the plan's steps with
   * the milestones at its steps.
   */
  private TrainingResult finetune(Experiment e, Model model, RecipePlan plan) {
    FinetuneSettings f = e.finetune();
    LearningRateSchedule schedule;
    if (plan.stepGranular()) {
      List<Long> steps = plan.milestoneSteps(f.milestones());
      schedule = steps.isEmpty() ? LearningRateSchedule.constant()
          : new LearningRateSchedule.StepMilestones(steps, plan.stepsPerEpoch(), f.gamma());
    } else {
      List<Integer> milestones = FractionalEpochs.scaleMilestones(f.milestones(), f.epochs(), plan.epochs());
      schedule = milestones.isEmpty() ? LearningRateSchedule.constant()
          : LearningRateSchedule.step(f.gamma(), milestones.toArray(new Integer[0]));
    }
    Path dir = e.runDir().resolve("finetune");
    TrainingConfig config = TrainingConfig.of(plan.epochs(),
            SgdSettings.of(f.learningRate(), f.momentum(), f.weightDecay()).withNesterov(f.nesterov()), schedule,
            e.context().seed())
        .withSchedulePerStep(plan.stepGranular())
        .withTotalSteps(plan.stepGranular() ? plan.totalSteps() : 0)
        .withCheckpoints(dir, 1, 0)
        .withKeepBest(f.keepBest());
    Trainer.Builder b = Trainer.builder(e.context().backend(), model, config, e.finetuneTrain())
        .evaluation(FinetuneSettings.ON_VALIDATION.equals(finetuneEvaluationSplit(e)) ? e.validation() : e.test());
    if (f.referenceCompatible()) {
      ReferenceFinetuneQuirks quirks = new ReferenceFinetuneQuirks(e.context().layers());
      quirks.afterStep(model.parameters());
      b.stepHook(step -> quirks.afterStep(step.parameters()));
    }
    listeners.forEach(b::listener);
    Trainer trainer = b.build();
    if (Checkpoint.exists(dir)) {
      trainer.restore(dir);
    }
    return trainer.train();
  }

  /**
   * The split finetuning evaluates every epoch and selects on: the held-out validation split when there is one, unless
   * keep-best is asked to select on the test split (the reference's mode); the test split without a validation split.
   */
  static String finetuneEvaluationSplit(Experiment e) {
    boolean onTest = e.finetune().keepBest() && FinetuneSettings.ON_TEST.equals(e.finetune().keepBestOn());
    return e.validation() != null && !onTest ? FinetuneSettings.ON_VALIDATION : FinetuneSettings.ON_TEST;
  }

  /**
   * Puts the model under the scheme and drops what the strategy left in the store that the fixed scheme does not use
   * (e.g. BSQ's bit planes), so finetuning trains and checkpoints only the model's own tensors.
   */
  public static void installFixedScheme(Model model, QuantizationScheme scheme) {
    SchemeInstaller.install(model, scheme);
    List<String> drop = new ArrayList<>();
    for (Parameter p : model.parameters().all()) {
      boolean strategyTensor = p.role() == ParameterRole.STRATEGY || p.role() == ParameterRole.STRATEGY_BUFFER;
      boolean fixedTensor = FixedPrecisionWeightSource.isOwnTensor(p.name());
      boolean graphTensor = model.graph().parameterShapes().containsKey(p.name());
      if (strategyTensor && !fixedTensor && !graphTensor) {
        drop.add(p.name());
      }
    }
    drop.forEach(model.parameters()::remove);
  }

  static List<RunRecord.Layer> layers(QuantizationScheme scheme, LayerInventory inventory,
                                      org.bsq.core.engine.ActivationSites sites) {
    List<RunRecord.Layer> out = new ArrayList<>();
    for (LayerInfo l : inventory) {
      LayerPrecision p = scheme.get(l.name());
      out.add(new RunRecord.Layer(l.name(), p.weightBits(), p.activationBits(), l.paramCount(),
          !l.projectionShortcut(), sites.siteOf(l.name()).orElse(null)));
    }
    return out;
  }

  static QuantizationScheme toScheme(List<RunRecord.Layer> layers) {
    return new RunRecord.Scheme(layers).toQuantizationScheme();
  }

  /** Reads a run record back (the round trip of {@code run.json}); the record may be a failed run's. */
  public static RunRecord readRecord(Path file) {
    return Json.readFile(file, RunRecord.class);
  }

  /**
   * Reads the record of a finished run (what tools that use a run's scheme need); a failed run's record fails naming
   * its error.
   */
  public static RunRecord readFinishedRecord(Path file) {
    RunRecord r = readRecord(file);
    if (!r.finished()) {
      throw new IllegalArgumentException("run record " + file + " must be of a finished run, was status '"
          + r.status() + "' (" + r.error().phase() + ": " + r.error().message() + ")");
    }
    return r;
  }

  /** SHA-256 of the canonical (sorted-key) JSON of a configuration. */
  public static String hash(JsonNode config) {
    return Digests.sha256Label(Json.canonicalBytes(config == null ? Json.files().createObjectNode() : config));
  }
}
