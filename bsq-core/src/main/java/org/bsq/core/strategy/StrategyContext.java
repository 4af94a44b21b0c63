package org.bsq.core.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.bsq.core.data.BatchSource;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.search.CandidateEvaluator;
import org.bsq.core.search.CandidateSettings;
import org.bsq.core.search.CostTarget;
import org.bsq.core.search.ModelCandidateEvaluator;
import org.bsq.core.search.SearchLog;

/**
 * Everything a strategy may use. There is deliberately no test split: the harness evaluates.
 *
 * @param layers every weight layer in model order
 * @param model the model to quantize (pretrained weights loaded); a strategy may bind weight sources and add tensors
 * @param backend the compute backend
 * @param train the training split (augmented, shuffled from the experiment seed)
 * @param validation the split searches select on: the held-out images of {@code dataset.validation} (excluded from
 *     {@code train} and from finetuning); without a held-out split, the first tenth of the training images (not held
 *     out: searches should then not be compared)
 * @param cost the size cost model (the first of {@link CostTarget#models()})
 * @param budget what the strategy may spend (already scaled by the budget scale); the search log enforces its
 *     evaluations and seconds
 * @param seed the experiment seed; {@link #random()} derives from it
 * @param parameters the strategy's own parameters from the config (bind them with
 *     {@link org.bsq.core.config.ConfigBinder#bind})
 * @param workDir a folder for the strategy's checkpoints and artefacts
 * @param listeners progress listeners a training strategy should attach to its trainer
 * @param costTarget every cost model of the run and the search objective among them (fast per-layer pricing)
 * @param searchLog the run's search ledger: the evaluation and time budget, the search trajectory of run.json
 */
public record StrategyContext(LayerInventory layers, Model model, Backend backend, BatchSource train,
                              BatchSource validation, SchemeCostModel cost, Budget budget, long seed,
                              JsonNode parameters, Path workDir,
                              java.util.List<org.bsq.core.train.TrainingListener> listeners, CostTarget costTarget,
                              SearchLog searchLog) {
  public StrategyContext {
    listeners = java.util.List.copyOf(listeners);
    if (costTarget == null) {
      costTarget = CostTarget.size(java.util.List.of(cost), layers);
    }
    if (searchLog == null) {
      searchLog = new SearchLog(budget, java.util.List.of());
    }
  }

  /** A context whose cost target is size on {@code cost}, with a fresh search log. */
  public StrategyContext(LayerInventory layers, Model model, Backend backend, BatchSource train,
                         BatchSource validation, SchemeCostModel cost, Budget budget, long seed, JsonNode parameters,
                         Path workDir, java.util.List<org.bsq.core.train.TrainingListener> listeners) {
    this(layers, model, backend, train, validation, cost, budget, seed, parameters, workDir, listeners, null, null);
  }

  /** A context without progress listeners. */
  public StrategyContext(LayerInventory layers, Model model, Backend backend, BatchSource train,
                         BatchSource validation, SchemeCostModel cost, Budget budget, long seed, JsonNode parameters,
                         Path workDir) {
    this(layers, model, backend, train, validation, cost, budget, seed, parameters, workDir, java.util.List.of());
  }

  /**
   * Opens a candidate evaluator over the model's current state (the strategy's starting weights); see
   * {@link CandidateEvaluator}. Close it before handing back the outcome.
   */
  public CandidateEvaluator candidates(CandidateSettings settings) {
    return new ModelCandidateEvaluator(this, settings);
  }

  /**
   * The strategy's parameters bound to {@code type} (normally its {@link QuantizationStrategy#parametersType()});
   * problems are reported with their keys under {@code strategy.params}.
   */
  public <T> T parameters(Class<T> type) {
    return org.bsq.core.config.ConfigBinder.bind(parameters, type, "strategy.params");
  }

  /** A fresh random stream derived from the experiment seed (same seed, same stream). */
  public SplittableRandom random() {
    return new SplittableRandom(seed ^ 0x5DEECE66DL);
  }
}
