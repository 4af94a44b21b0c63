package org.bsq.core.search;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.bsq.core.data.Batch;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.SoftmaxCrossEntropy;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.finetune.SchemeInstaller;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.train.CompiledNetworks;
import org.bsq.core.train.EvaluationResult;
import org.bsq.core.train.Evaluator;
import org.bsq.core.train.SgdOptimizer;
import org.bsq.core.train.SgdSettings;

/**
 * The {@link CandidateEvaluator} of a {@link StrategyContext}: snapshots the model (every parameter's values and role,
 * the weight-source bindings, the activation specs) when opened, and before each candidate puts exactly that back.
 * The validation subset and the finetuning batches are read into memory once; the compiled networks live as long as
 * the evaluator (weight sources and activation specs are read on every forward pass, so candidates need no
 * recompilation).
 */
public final class ModelCandidateEvaluator implements CandidateEvaluator {
  private record Snapshot(String name, int[] shape, ParameterRole role, float[] values) {}

  private final Model model;
  private final LayerInventory inventory;
  private final CostTarget target;
  private final SearchLog log;
  private final CandidateSettings settings;
  private final List<Snapshot> parameters = new ArrayList<>();
  private final Map<String, WeightSource> sources;
  private final Map<String, ActivationSpec> activations;
  private final MemoryBatches validation;
  private final MemoryBatches finetune;
  private final CompiledNetworks networks;
  private EvaluationResult fullPrecision;
  private boolean closed;

  public ModelCandidateEvaluator(StrategyContext context, CandidateSettings settings) {
    if (context.validation() == null) {
      throw new IllegalArgumentException("candidate evaluation needs a validation split (dataset.validation), was none");
    }
    this.model = context.model();
    this.inventory = context.layers();
    this.target = context.costTarget();
    this.log = context.searchLog();
    this.settings = settings;
    for (Parameter p : model.parameters().all()) {
      parameters.add(new Snapshot(p.name(), p.shape(), p.role(), p.value().clone()));
    }
    this.sources = model.weightSourceBindings();
    this.activations = model.activationSpecOverrides();
    this.validation = MemoryBatches.take(context.validation(), 0, settings.samples(), settings.batchSize(),
        "candidate validation");
    this.finetune = settings.finetuneBatches() == 0 ? null
        : MemoryBatches.firstBatches(context.train(), 0, settings.finetuneBatches(), "candidate finetuning");
    this.networks = new CompiledNetworks(context.backend(), model);
  }

  @Override
  public EvaluationResult fullPrecision() {
    checkOpen();
    if (fullPrecision == null) {
      restore();
      fullPrecision = Evaluator.evaluate(networks, validation);
    }
    return fullPrecision;
  }

  @Override
  public CandidateResult evaluate(QuantizationScheme candidate, ToDoubleFunction<CandidateResult> reward) {
    checkOpen();
    candidate.checkAgainst(inventory);
    log.checkCanEvaluate();
    long t0 = System.nanoTime();
    restore();
    SchemeInstaller.install(model, candidate);
    if (finetune != null) {
      shortFinetune();
    }
    EvaluationResult r = Evaluator.evaluate(networks, validation);
    restore();
    CandidateResult result = new CandidateResult(log.nextIndex(), candidate, r.top1(), r.loss(), r.samples(),
        target.price(candidate), (System.nanoTime() - t0) / 1e9);
    log.record(result, reward.applyAsDouble(result), inventory);
    return result;
  }

  private void shortFinetune() {
    SgdOptimizer optimizer = new SgdOptimizer(SgdSettings.of(settings.finetuneLearningRate(), 0.9, 0));
    ParameterStore store = model.parameters();
    int classes = model.graph().numClasses();
    for (Batch b : finetune.batches()) {
      int n = b.size();
      CompiledNetwork net = networks.forBatchSize(n);
      store.zeroGradients();
      float[] logits = net.forward(networks.input(n, b.images()), true);
      float[] gradient = networks.logitsGradient(n);
      double loss = SoftmaxCrossEntropy.lossAndGradient(logits, b.labels(), n, classes, gradient);
      if (!Double.isFinite(loss)) {
        throw new IllegalStateException("candidate finetuning loss must be finite, was " + loss
            + " (lower the candidate finetuning learning rate, was " + settings.finetuneLearningRate() + ")");
      }
      net.backward(gradient);
      optimizer.step(store);
    }
  }

  /** Puts the snapshot back: parameter values and roles, no extra parameters, weight sources, activation specs. */
  private void restore() {
    ParameterStore store = model.parameters();
    Set<String> names = new HashSet<>();
    for (Snapshot s : parameters) {
      names.add(s.name());
      Parameter p = store.contains(s.name()) ? store.get(s.name()) : null;
      if (p != null && p.role() == s.role() && p.hasSameShape(s.shape())) {
        System.arraycopy(s.values(), 0, p.value(), 0, s.values().length);
      } else if (p != null) {
        store.replace(new Parameter(s.name(), s.shape(), s.role(), s.values().clone()));
      } else {
        store.add(new Parameter(s.name(), s.shape(), s.role(), s.values().clone()));
      }
    }
    List<String> extra = new ArrayList<>();
    for (Parameter p : store.all()) {
      if (!names.contains(p.name())) {
        extra.add(p.name());
      }
    }
    extra.forEach(store::remove);
    store.zeroGradients();
    for (var l : inventory) {
      model.clearWeightSource(l.name());
    }
    sources.forEach(model::setWeightSource);
    model.clearActivationSpecs();
    activations.forEach(model::setActivationSpec);
  }

  @Override
  public boolean canEvaluate() { return !closed && log.canEvaluate(); }

  @Override
  public int remaining() { return log.remaining(); }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      try {
        restore();
      } finally {
        networks.close();
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("candidate evaluator is closed");
    }
  }
}
