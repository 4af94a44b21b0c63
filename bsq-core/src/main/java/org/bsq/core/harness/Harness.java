package org.bsq.core.harness;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.provenance.Digests;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.SchemeCostModel;
import org.bsq.core.strategy.StrategyOutcome;
import org.bsq.core.train.Checkpoint;
import org.bsq.core.train.EpochRecord;
import org.bsq.core.train.EvaluationResult;
import org.bsq.core.train.Evaluator;
import org.bsq.core.train.LearningRateSchedule;
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

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final List<TrainingListener> listeners;

  public Harness(List<TrainingListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  /** What the strategy phase leaves behind (saved for resume). */
  record StrategyPhase(List<RunRecord.Layer> scheme, List<EpochRecord> trajectory, JsonNode details,
                       Map<String, List<Double>> weightPlaneNonZero, double top1Float, double top1BeforeFinetune,
                       double seconds) {}

  public RunRecord run(Experiment e) {
    long start = System.nanoTime();
    Model model = e.context().model();
    LayerInventory inventory = e.context().layers();
    Path strategyDir = e.runDir().resolve("strategy");
    Path outcomeFile = strategyDir.resolve("outcome.json");
    Path snapshot = strategyDir.resolve("model");
    double evalSeconds = 0;

    StrategyPhase phase;
    if (Files.isRegularFile(outcomeFile)) {
      phase = read(outcomeFile, StrategyPhase.class);
      installFixedScheme(model, toScheme(phase.scheme()));
      Checkpoint.read(snapshot).restoreParameters(model.parameters());
    } else {
      EvaluationResult floatEval = Evaluator.evaluate(e.context().backend(), model, e.test());
      evalSeconds += floatEval.seconds();
      long t1 = System.nanoTime();
      StrategyOutcome outcome = e.strategy().run(e.context());
      double strategySeconds = (System.nanoTime() - t1) / 1e9;
      outcome.scheme().checkAgainst(inventory);
      installFixedScheme(model, outcome.scheme());
      EvaluationResult before = Evaluator.evaluate(e.context().backend(), model, e.test());
      evalSeconds += before.seconds();
      phase = new StrategyPhase(layers(outcome.scheme(), inventory), outcome.trajectory(),
          JSON.valueToTree(outcome.details()), outcome.weightPlaneNonZero(), floatEval.top1(), before.top1(),
          strategySeconds);
      Checkpoint.ofParameters(model.parameters()).write(snapshot);
      write(outcomeFile, phase);
    }
    QuantizationScheme scheme = toScheme(phase.scheme());

    long f0 = System.nanoTime();
    List<EpochRecord> finetuneHistory = List.of();
    double fe = e.finetune().epochs() * e.budgetScale();
    if (fe > 0) {
      TrainingResult r = finetune(e, model, fe);
      finetuneHistory = r.history();
    }
    double finetuneSeconds = (System.nanoTime() - f0) / 1e9;

    EvaluationResult last = Evaluator.evaluate(e.context().backend(), model, e.test());
    evalSeconds += last.seconds();
    Map<String, Map<String, Double>> cost = new LinkedHashMap<>();
    for (SchemeCostModel c : e.costModels()) {
      cost.put(c.name(), c.price(scheme, inventory,
          phase.weightPlaneNonZero() == null ? Map.of() : phase.weightPlaneNonZero()));
    }
    Map<String, Object> details = new LinkedHashMap<>();
    phase.details().fields().forEachRemaining(f -> details.put(f.getKey(), f.getValue()));
    RunRecord record = new RunRecord(RunRecord.FORMAT_VERSION, e.strategyName(), e.config(), hash(e.config()),
        e.context().seed(), e.budgetScale(), e.provenance(), new RunRecord.Scheme(phase.scheme()),
        new RunRecord.Metrics(phase.top1Float(), phase.top1BeforeFinetune(), last.top1(), last.top5(), last.loss(),
            last.samples()),
        new RunRecord.Compression(scheme.compression(inventory), scheme.wholeModelCompression(inventory),
            scheme.wholeModelBits(inventory)),
        scheme.averageBits(inventory), cost, new RunRecord.Trajectory(phase.trajectory(), finetuneHistory), details,
        new RunRecord.Timings(phase.seconds(), finetuneSeconds, evalSeconds, (System.nanoTime() - start) / 1e9));
    write(e.runDir().resolve(RUN_JSON), record);
    return record;
  }

  private TrainingResult finetune(Experiment e, Model model, double epochs) {
    int whole = FractionalEpochs.wholeEpochs(epochs);
    FinetuneSettings f = e.finetune();
    List<Integer> milestones = FractionalEpochs.scaleMilestones(f.milestones(), f.epochs(), whole);
    LearningRateSchedule schedule = milestones.isEmpty() ? LearningRateSchedule.constant()
        : LearningRateSchedule.step(f.gamma(), milestones.toArray(new Integer[0]));
    Path dir = e.runDir().resolve("finetune");
    TrainingConfig config = TrainingConfig.of(whole,
            SgdSettings.of(f.learningRate(), f.momentum(), f.weightDecay()).withNesterov(f.nesterov()), schedule,
            e.context().seed())
        .withCheckpoints(dir, 1, 0)
        .withKeepBest(f.keepBest());
    Trainer.Builder b = Trainer.builder(e.context().backend(), model, config,
        FractionalEpochs.limit(e.finetuneTrain(), epochs)).evaluation(e.test());
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
   * Puts the model under the scheme and drops what the strategy left in the store that the fixed scheme does not use
   * (e.g. BSQ's bit planes), so finetuning trains and checkpoints only the model's own tensors.
   */
  static void installFixedScheme(Model model, QuantizationScheme scheme) {
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

  static List<RunRecord.Layer> layers(QuantizationScheme scheme, LayerInventory inventory) {
    List<RunRecord.Layer> out = new ArrayList<>();
    for (LayerInfo l : inventory) {
      LayerPrecision p = scheme.get(l.name());
      out.add(new RunRecord.Layer(l.name(), p.weightBits(), p.activationBits(), l.paramCount(),
          !l.projectionShortcut()));
    }
    return out;
  }

  static QuantizationScheme toScheme(List<RunRecord.Layer> layers) {
    return new RunRecord.Scheme(layers).toQuantizationScheme();
  }

  /** Reads a run record back (the round trip of {@code run.json}). */
  public static RunRecord readRecord(Path file) {
    return read(file, RunRecord.class);
  }

  static <T> T read(Path file, Class<T> type) {
    try {
      return JSON.readValue(file.toFile(), type);
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot read " + file + ": " + ex.getMessage(), ex);
    }
  }

  static void write(Path file, Object value) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      JSON.writeValue(tmp.toFile(), value);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot write " + file + ": " + ex.getMessage(), ex);
    }
  }

  /** SHA-256 of the canonical (sorted-key) JSON of a configuration. */
  public static String hash(JsonNode config) {
    try {
      ObjectMapper canonical = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
      Object tree = canonical.treeToValue(config == null ? JSON.createObjectNode() : config, Object.class);
      byte[] bytes = canonical.writeValueAsString(tree).getBytes(StandardCharsets.UTF_8);
      return Digests.sha256Label(bytes);
    } catch (IOException ex) {
      throw new IllegalStateException("cannot hash the configuration", ex);
    }
  }
}
