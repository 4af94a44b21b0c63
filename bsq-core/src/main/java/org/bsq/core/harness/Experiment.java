package org.bsq.core.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.bsq.core.data.BatchSource;
import org.bsq.core.provenance.Provenance;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.SchemeCostModel;
import org.bsq.core.strategy.StrategyContext;

/**
 * One experiment as the harness runs it.
 *
 * @param strategyName registered name of the strategy
 * @param strategy the strategy
 * @param context what the strategy gets (model with its starting weights, training split, budget already scaled)
 * @param finetuneTrain the training split for finetuning
 * @param validation the held-out validation split (images of the training split no strategy and no finetuning trains
 *     on), or null when the experiment holds none out: finetuning evaluates and selects on it when it is there
 * @param test the test split (only the harness sees it)
 * @param finetune finetuning settings at budget scale 1
 * @param budgetScale factor applied to the finetuning epochs and milestones (the strategy's budget is already scaled)
 * @param config the resolved configuration (recorded with its hash)
 * @param provenance where the run comes from
 * @param costModels every cost model that prices the scheme (the first is the context's active one)
 * @param runDir the run folder: checkpoints, intermediate results, run.json
 */
public record Experiment(String strategyName, QuantizationStrategy strategy, StrategyContext context,
                         BatchSource finetuneTrain, BatchSource validation, BatchSource test,
                         FinetuneSettings finetune, double budgetScale,
                         JsonNode config, Provenance provenance, List<SchemeCostModel> costModels, Path runDir) {
  public Experiment {
    costModels = List.copyOf(costModels);
    String keepBest = finetune.keepBestProblem(validation != null);
    if (keepBest != null) {
      throw new IllegalArgumentException(keepBest);
    }
    if (!(budgetScale > 0)) {
      throw new IllegalArgumentException("budget scale must be > 0, was " + budgetScale);
    }
  }
}
