package org.bsq.core.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;
import org.bsq.core.data.BatchSource;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.SoftmaxCrossEntropy;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.Shape;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterStore;

/**
 * Trains a {@link Model} with SGD on a {@link BatchSource}, through any {@link Backend}.
 *
 * <p>Per epoch: the {@link EpochHook#beforeEpoch} hooks run (optimizer state of changed parameters is reset), then per
 * batch: inside an epoch the hooks that {@link EpochHook#actsBeforeStep act before} this global step run (with the
 * same optimizer reset), gradients are zeroed, the network runs forward in training mode,
 * {@link SoftmaxCrossEntropy} gives the loss and dL/dlogits over the batch's valid samples, the network runs
 * backward, each {@link LossTerm} adds its value and gradients, the optimizer steps (at the schedule's learning rate) and the {@link StepHook}s run. The model is compiled
 * once per distinct batch size (the last batch may be smaller) and the compiled networks are reused. After every
 * {@code evalEvery}-th epoch and the last one the model is evaluated on the evaluation source; checkpoints are written
 * as configured. With {@link TrainingConfig#totalSteps()} the last epoch is cut short. A non-finite loss stops
 * training with an {@link IllegalStateException} naming the epoch and step.
 *
 * <p>Resume is exact: {@link #resume(Path)} on freshly built objects (same config, sources, hooks) continues from a
 * checkpoint, at an epoch boundary or inside an epoch, and ends with the same parameters and history as an
 * uninterrupted run, provided the backend is deterministic and the sources derive their batches from (seed, epoch).
 *
 * <p>A trainer is used by one thread. It can be called repeatedly ({@link #trainUntil(int)} then {@link #train()}):
 * each call continues where the previous one stopped.
 */
public final class Trainer {
  private final Backend backend;
  private final Model model;
  private final TrainingConfig config;
  private final BatchSource trainSource;
  private final BatchSource evalSource;
  private final List<LossTerm> lossTerms;
  private final List<StepHook> stepHooks;
  private final List<EpochHook> epochHooks;
  private final List<TrainingListener> listeners;
  private final SgdOptimizer optimizer;

  private int epoch;
  private int step;
  private boolean epochStarted;
  private long globalStep;
  private double epochLossSum;
  private double epochObjectiveSum;
  private long epochCorrect;
  private long epochSamples;
  private double epochTrainSeconds;
  private double epochLearningRate;
  private final List<EpochRecord> history = new ArrayList<>();
  private int bestEpoch = -1;
  private EvaluationResult bestEvaluation;
  private List<Checkpoint.Tensor> bestSnapshot = List.of();

  private Trainer(Builder b) {
    this.backend = b.backend;
    this.model = b.model;
    this.config = b.config;
    this.trainSource = b.trainSource;
    this.evalSource = b.evalSource;
    this.lossTerms = List.copyOf(b.lossTerms);
    this.stepHooks = List.copyOf(b.stepHooks);
    this.epochHooks = List.copyOf(b.epochHooks);
    this.listeners = List.copyOf(b.listeners);
    this.optimizer = new SgdOptimizer(config.optimizer());
  }

  /** Starts building a trainer for {@code model} on {@code trainSource}. */
  public static Builder builder(Backend backend, Model model, TrainingConfig config, BatchSource trainSource) {
    return new Builder(backend, model, config, trainSource);
  }

  /** Collects the optional parts of a trainer. */
  public static final class Builder {
    private final Backend backend;
    private final Model model;
    private final TrainingConfig config;
    private final BatchSource trainSource;
    private BatchSource evalSource;
    private final List<LossTerm> lossTerms = new ArrayList<>();
    private final List<StepHook> stepHooks = new ArrayList<>();
    private final List<EpochHook> epochHooks = new ArrayList<>();
    private final List<TrainingListener> listeners = new ArrayList<>();

    private Builder(Backend backend, Model model, TrainingConfig config, BatchSource trainSource) {
      if (backend == null || model == null || config == null || trainSource == null) {
        throw new IllegalArgumentException("backend, model, config and training source must be given, was "
            + backend + ", " + model + ", " + config + ", " + trainSource);
      }
      this.backend = backend;
      this.model = model;
      this.config = config;
      this.trainSource = trainSource;
    }

    /** The split evaluated after epochs (test or validation); without one nothing is evaluated. */
    public Builder evaluation(BatchSource source) {
      this.evalSource = source;
      return this;
    }

    public Builder lossTerm(LossTerm term) {
      lossTerms.add(requireNonNull(term, "loss term"));
      return this;
    }

    public Builder stepHook(StepHook hook) {
      stepHooks.add(requireNonNull(hook, "step hook"));
      return this;
    }

    public Builder epochHook(EpochHook hook) {
      epochHooks.add(requireNonNull(hook, "epoch hook"));
      return this;
    }

    public Builder listener(TrainingListener listener) {
      listeners.add(requireNonNull(listener, "listener"));
      return this;
    }

    public Trainer build() {
      checkSource("training", trainSource, model.graph());
      if (evalSource != null) {
        checkSource("evaluation", evalSource, model.graph());
      }
      if (config.totalSteps() > 0) {
        long full = (long) config.epochs() * trainSource.batchesPerEpoch();
        if (config.totalSteps() > full || config.totalSteps() <= full - trainSource.batchesPerEpoch()) {
          throw new IllegalArgumentException("totalSteps must end in the last of " + config.epochs() + " epochs of "
              + trainSource.batchesPerEpoch() + " batches, i.e. be in (" + (full - trainSource.batchesPerEpoch())
              + ", " + full + "], was " + config.totalSteps());
        }
      }
      if (config.keepBest() && evalSource == null) {
        throw new IllegalArgumentException("keepBest needs an evaluation source, was none");
      }
      Set<String> names = new HashSet<>();
      for (LossTerm t : lossTerms) {
        if (!names.add(t.name())) {
          throw new IllegalArgumentException("loss term names must be unique, was '" + t.name() + "' twice");
        }
      }
      return new Trainer(this);
    }

    private static <T> T requireNonNull(T value, String what) {
      if (value == null) {
        throw new IllegalArgumentException(what + " must be given, was null");
      }
      return value;
    }

    private static void checkSource(String what, BatchSource source, Graph graph) {
      Shape in = graph.inputShape();
      if (source.channels() != in.channels() || source.height() != in.height() || source.width() != in.width()) {
        throw new IllegalArgumentException(what + " source '" + source.description() + "' images must be " + in
            + " as the model's input, was " + source.channels() + "x" + source.height() + "x" + source.width());
      }
      if (source.numClasses() != graph.numClasses()) {
        throw new IllegalArgumentException(what + " source '" + source.description() + "' classes must equal the model's "
            + graph.numClasses() + ", was " + source.numClasses());
      }
      if (source.numSamples() < 1 || source.batchSize() < 1) {
        throw new IllegalArgumentException(what + " source '" + source.description()
            + "' needs >= 1 samples and batch size >= 1, was " + source.numSamples() + " and " + source.batchSize());
      }
    }
  }

  public Model model() { return model; }

  public TrainingConfig config() { return config; }

  public SgdOptimizer optimizer() { return optimizer; }

  /** Epochs completed so far. */
  public int completedEpochs() { return epoch; }

  /** Optimizer steps taken so far. */
  public long globalStep() { return globalStep; }

  public List<EpochRecord> history() { return List.copyOf(history); }

  /** Trains until {@code config.epochs()} epochs are complete (continuing from the current position). */
  public TrainingResult train() { return trainUntil(config.epochs()); }

  /**
   * Trains until {@code untilEpochs} epochs are complete (the schedule still spans {@code config.epochs()}). When that
   * is the last epoch, keep-best restore and {@link EpochHook#afterTraining} hooks follow.
   */
  public TrainingResult trainUntil(int untilEpochs) {
    if (untilEpochs < epoch || untilEpochs > config.epochs()) {
      throw new IllegalArgumentException("epochs to train until must be in [" + epoch + ", " + config.epochs()
          + "], was " + untilEpochs);
    }
    long start = System.nanoTime();
    for (TrainingListener l : listeners) {
      l.onTrainingStart(config, epoch, trainSource.description());
    }
    EvaluationResult finalEvaluation;
    try (CompiledNetworks networks = new CompiledNetworks(backend, model)) {
      while (epoch < untilEpochs) {
        runEpoch(networks);
      }
      finalEvaluation = history.isEmpty() ? null : history.get(history.size() - 1).evaluation();
      if (epoch == config.epochs()) {
        finalEvaluation = finish(networks, finalEvaluation);
      }
    }
    TrainingResult result = new TrainingResult(history, epoch, globalStep, finalEvaluation, bestEpoch, bestEvaluation,
        (System.nanoTime() - start) / 1e9);
    for (TrainingListener l : listeners) {
      l.onTrainingEnd(result);
    }
    return result;
  }

  /** Restores the checkpoint in {@code checkpointDir} (see {@link Checkpoint#resolve}) and trains to the end. */
  public TrainingResult resume(Path checkpointDir) {
    restore(checkpointDir);
    return train();
  }

  /**
   * Loads a training checkpoint into this trainer: parameters, buffers, optimizer state, position, history and the
   * keep-best snapshot. The checkpoint's optimizer settings, schedule and seed must equal this trainer's config (the
   * number of epochs may differ) and its training source must have as many samples and batches per epoch.
   */
  public void restore(Path checkpointDir) {
    Checkpoint cp = Checkpoint.read(checkpointDir);
    TrainingState st = cp.state();
    if (st == null) {
      throw new IllegalArgumentException("checkpoint " + Checkpoint.resolve(checkpointDir) + " must hold a training"
          + " state to resume, was parameters only (load it with Checkpoint.read(dir).restoreParameters(store))");
    }
    List<String> problems = new ArrayList<>();
    TrainingConfig saved = cp.config();
    if (!saved.optimizer().equals(config.optimizer())) {
      problems.add("optimizer must be " + saved.optimizer().describe() + ", was " + config.optimizer().describe());
    }
    if (!saved.schedule().equals(config.schedule()) || saved.schedulePerStep() != config.schedulePerStep()) {
      problems.add("schedule must be " + saved.schedule().describe() + (saved.schedulePerStep() ? " per step" : "")
          + ", was " + config.schedule().describe() + (config.schedulePerStep() ? " per step" : ""));
    }
    if (saved.totalSteps() != config.totalSteps()) {
      problems.add("totalSteps must be " + saved.totalSteps() + ", was " + config.totalSteps());
    }
    if (saved.seed() != config.seed()) {
      problems.add("seed must be " + saved.seed() + ", was " + config.seed());
    }
    if (st.stepsPerEpoch() != trainSource.batchesPerEpoch() || st.trainSamples() != trainSource.numSamples()) {
      problems.add("training source must have " + st.trainSamples() + " samples in " + st.stepsPerEpoch()
          + " batches (" + st.trainDescription() + "), was " + trainSource.numSamples() + " in "
          + trainSource.batchesPerEpoch() + " (" + trainSource.description() + ")");
    }
    if (st.epoch() > config.epochs()) {
      problems.add("epochs must be >= the checkpoint's " + st.epoch() + ", was " + config.epochs());
    }
    if (config.keepBest() && st.bestEpoch() >= 0 && cp.best().isEmpty()) {
      problems.add("keepBest needs the checkpoint's keep-best snapshot, which it lacks (saved without keepBest)");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("checkpoint " + Checkpoint.resolve(checkpointDir)
          + " does not fit this trainer: " + String.join("; ", problems));
    }
    EpochContext context = new EpochContext(model, optimizer, st.epoch(), config.epochs(), config.seed(),
        st.globalStep());
    for (EpochHook h : epochHooks) {
      h.beforeRestore(context, cp.parameterShapes());
    }
    cp.restoreParameters(model.parameters());
    cp.restoreOptimizer(optimizer, model.parameters());
    optimizer.setLearningRate(st.learningRate());
    epoch = st.epoch();
    step = st.step();
    epochStarted = st.epochStarted();
    globalStep = st.globalStep();
    epochLossSum = st.epochLossSum();
    epochObjectiveSum = st.epochObjectiveSum();
    epochCorrect = st.epochCorrect();
    epochSamples = st.epochSamples();
    epochTrainSeconds = st.epochTrainSeconds();
    epochLearningRate = st.epochLearningRate();
    history.clear();
    history.addAll(st.history());
    bestEpoch = st.bestEpoch();
    bestEvaluation = st.bestEvaluation();
    bestSnapshot = config.keepBest() ? cp.best() : List.of();
  }

  /** A checkpoint of the current state (tensors copied now). */
  public Checkpoint checkpoint() {
    return Checkpoint.capture(model.parameters(), optimizer, config, state(), bestSnapshot);
  }

  /** The current position, accumulators and history. */
  public TrainingState state() {
    return new TrainingState(epoch, step, epochStarted, globalStep, optimizer.learningRate(), epochLossSum,
        epochObjectiveSum, epochCorrect, epochSamples, epochTrainSeconds, epochLearningRate, history, bestEpoch,
        bestEvaluation, trainSource.description(), trainSource.batchesPerEpoch(), trainSource.numSamples());
  }

  /** Evaluates the current model on the evaluation source. */
  public EvaluationResult evaluate() {
    if (evalSource == null) {
      throw new IllegalStateException("evaluation source must be given to evaluate, was none");
    }
    return Evaluator.evaluate(backend, model, evalSource);
  }

  // ---------------------------------------------------------------------------------------------- the loop

  /** Batches of epoch {@code e}: all of them, except in a last epoch cut short by {@code totalSteps}. */
  private int stepsIn(int e) {
    int full = trainSource.batchesPerEpoch();
    if (config.totalSteps() == 0 || e < config.epochs() - 1) {
      return full;
    }
    return (int) (config.totalSteps() - (long) (config.epochs() - 1) * full);
  }

  private void runEpoch(CompiledNetworks networks) {
    int full = trainSource.batchesPerEpoch();
    int steps = stepsIn(epoch);
    if (!epochStarted) {
      runEpochHooks(networks, HookCall.BEFORE_EPOCH);
      step = 0;
      epochLossSum = 0;
      epochObjectiveSum = 0;
      epochCorrect = 0;
      epochSamples = 0;
      epochTrainSeconds = 0;
      epochLearningRate = config.learningRate(epoch, 0, full);
      epochStarted = true;
    }
    for (TrainingListener l : listeners) {
      l.onEpochStart(new EpochStart(epoch, config.epochs(), step, steps, trainSource.numSamples(),
          config.learningRate(epoch, Math.min(step, steps - 1), full)));
    }
    if (step < steps) {
      try (BatchIterator it = trainSource.epoch(epoch, step)) {
        while (step < steps) {
          if (!it.hasNext()) {
            throw new IllegalStateException("training source '" + trainSource.description() + "' must yield "
                + steps + " batches in epoch " + epoch + ", was " + step);
          }
          Batch batch = it.next();
          if (batch.index() != step) {
            throw new IllegalStateException("training source '" + trainSource.description() + "' batch index in epoch "
                + epoch + " must be " + step + ", was " + batch.index());
          }
          if (step > 0 && actsBeforeStep()) {
            runEpochHooks(networks, HookCall.BEFORE_STEP);
          }
          trainStep(networks, batch, full);
        }
        if (steps == full && it.hasNext()) {
          throw new IllegalStateException("training source '" + trainSource.description() + "' must yield " + steps
              + " batches in epoch " + epoch + ", was more");
        }
      }
    }
    long evalStart = System.nanoTime();
    EvaluationResult evaluation = null;
    if (evalSource != null && ((epoch + 1) % config.evalEvery() == 0 || epoch + 1 == config.epochs())) {
      evaluation = Evaluator.evaluate(networks, evalSource);
      for (TrainingListener l : listeners) {
        l.onEvaluation(epoch, evaluation);
      }
    }
    boolean newBest = false;
    if (evaluation != null && (bestEpoch < 0 || evaluation.top1() > bestEvaluation.top1())) {
      bestEpoch = epoch;
      bestEvaluation = evaluation;
      newBest = true;
      if (config.keepBest()) {
        bestSnapshot = Checkpoint.tensorsOf(model.parameters());
      }
    }
    double samples = epochSamples;
    EpochRecord record = new EpochRecord(epoch, epochLearningRate, epochLossSum / samples,
        epochObjectiveSum / samples, epochCorrect / samples, epochSamples, evaluation, epochTrainSeconds,
        epochTrainSeconds + (System.nanoTime() - evalStart) / 1e9);
    history.add(record);
    epoch++;
    step = 0;
    epochStarted = false;
    epochLossSum = 0;
    epochObjectiveSum = 0;
    epochCorrect = 0;
    epochSamples = 0;
    epochTrainSeconds = 0;
    if (config.checkpointDir() != null) {
      if (epoch % config.checkpointEvery() == 0 || epoch == config.epochs()) {
        writeCheckpoint(Checkpoint.LATEST);
      }
      if (config.keepBest() && newBest) {
        writeCheckpoint(Checkpoint.BEST);
      }
    }
    for (TrainingListener l : listeners) {
      l.onEpochEnd(record);
    }
  }

  private void trainStep(CompiledNetworks networks, Batch batch, int steps) {
    long t0 = System.nanoTime();
    int n = batch.size();
    int classes = model.graph().numClasses();
    double lr = config.learningRate(epoch, step, steps);
    optimizer.setLearningRate(lr);
    CompiledNetwork network = networks.forBatchSize(n);
    float[] input = networks.input(n, batch.images());
    ParameterStore store = model.parameters();
    store.zeroGradients();
    float[] logits = network.forward(input, true);
    int[] labels = batch.labels();
    int correct = 0;
    for (int i = 0; i < n; i++) {
      if (Evaluator.rankOfLabel(logits, i * classes, classes, labels[i]) < 1) {
        correct++;
      }
    }
    float[] gradient = networks.logitsGradient(n);
    double loss = SoftmaxCrossEntropy.lossAndGradient(logits, labels, n, classes, gradient);
    if (!Double.isFinite(loss)) {
      throw new IllegalStateException(String.format(Locale.ROOT, "training loss must be finite, was %s at epoch %d"
          + " step %d (batch of %d samples, learning rate %s): the model diverged; lower the learning rate or check"
          + " the data and initialisation", loss, epoch, step, n, lr));
    }
    network.backward(gradient);
    StepContext context = new StepContext(model, epoch, step, steps, globalStep, n, lr);
    double objective = loss;
    Map<String, Double> terms = new LinkedHashMap<>();
    for (LossTerm term : lossTerms) {
      double v = term.addValueAndGradients(context);
      if (!Double.isFinite(v)) {
        throw new IllegalStateException(String.format(Locale.ROOT, "loss term '%s' must be finite, was %s at epoch"
            + " %d step %d", term.name(), v, epoch, step));
      }
      terms.put(term.name(), v);
      objective += v;
    }
    optimizer.step(store);
    for (StepHook hook : stepHooks) {
      hook.afterStep(context);
    }
    epochLossSum += loss * n;
    epochObjectiveSum += objective * n;
    epochCorrect += correct;
    epochSamples += n;
    step++;
    globalStep++;
    epochTrainSeconds += (System.nanoTime() - t0) / 1e9;
    if (!listeners.isEmpty()) {
      StepResult result = new StepResult(epoch, step - 1, steps, globalStep, n, loss, objective, terms, correct, lr,
          epochLossSum / epochSamples, (double) epochCorrect / epochSamples, epochSamples);
      for (TrainingListener l : listeners) {
        l.onStepEnd(result);
      }
    }
    if (config.checkpointDir() != null && config.checkpointEverySteps() > 0
        && globalStep % config.checkpointEverySteps() == 0) {
      writeCheckpoint(Checkpoint.LATEST);
    }
  }

  private EvaluationResult finish(CompiledNetworks networks, EvaluationResult lastEvaluation) {
    EvaluationResult current = lastEvaluation;
    if (config.keepBest() && bestEpoch >= 0 && bestEpoch != epoch - 1) {
      try {
        Checkpoint.restore(bestSnapshot, model.parameters(), "keep-best snapshot of epoch " + bestEpoch);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("keepBest cannot restore epoch " + bestEpoch
            + " because the model's parameters changed since: " + e.getMessage(), e);
      }
      networks.invalidate();
      current = bestEvaluation;
    }
    if (runEpochHooks(networks, HookCall.AFTER_TRAINING) && evalSource != null) {
      current = Evaluator.evaluate(networks, evalSource);
      for (TrainingListener l : listeners) {
        l.onEvaluation(epoch, current);
      }
    }
    return current;
  }

  private enum HookCall { BEFORE_EPOCH, BEFORE_STEP, AFTER_TRAINING }

  /** Whether an epoch hook acts before the step about to run inside the epoch. */
  private boolean actsBeforeStep() {
    for (EpochHook h : epochHooks) {
      if (h.actsBeforeStep(globalStep)) {
        return true;
      }
    }
    return false;
  }

  /** Runs the epoch hooks; resets optimizer state of changed parameters; returns whether anything changed. */
  private boolean runEpochHooks(CompiledNetworks networks, HookCall call) {
    if (epochHooks.isEmpty()) {
      return false;
    }
    ParameterStore store = model.parameters();
    Map<String, Parameter> before = new LinkedHashMap<>();
    for (Parameter p : store.all()) {
      before.put(p.name(), p);
    }
    EpochContext context = new EpochContext(model, optimizer, epoch, config.epochs(), config.seed(), globalStep);
    for (EpochHook h : epochHooks) {
      switch (call) {
        case BEFORE_EPOCH -> h.beforeEpoch(context);
        case BEFORE_STEP -> {
          if (h.actsBeforeStep(globalStep)) {
            h.beforeStep(context);
          }
        }
        case AFTER_TRAINING -> h.afterTraining(context);
        default -> throw new IllegalStateException("unknown hook call " + call);
      }
    }
    Set<String> changed = new LinkedHashSet<>();
    before.forEach((name, p) -> {
      if (!store.contains(name) || store.get(name) != p) {
        changed.add(name);
      }
    });
    for (Parameter p : store.all()) {
      if (!before.containsKey(p.name())) {
        changed.add(p.name());
      }
    }
    for (String name : changed) {
      optimizer.reset(name);
    }
    model.graph().parameterShapes().forEach((name, shape) -> {
      if (!store.contains(name) || !store.get(name).hasSameShape(shape)) {
        throw new IllegalStateException("epoch hooks must keep graph parameter '" + name + "' with shape "
            + Arrays.toString(shape) + ", was " + (store.contains(name)
            ? Arrays.toString(store.get(name).shape()) : "removed") + " before epoch " + epoch + " (global step "
            + globalStep + ")");
      }
    });
    boolean any = !changed.isEmpty() || context.modelChanged();
    if (any) {
      networks.invalidate();
    }
    return any;
  }

  private void writeCheckpoint(String which) {
    Path dir = config.checkpointDir().resolve(which);
    checkpoint().write(dir);
    for (TrainingListener l : listeners) {
      l.onCheckpoint(dir, epoch, step);
    }
  }
}
