package org.bsq.bench.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.bsq.core.config.ConfigBinder;
import org.bsq.core.config.ConfigDocument;
import org.bsq.core.config.ConfigException;
import org.bsq.core.harness.Harness;
import org.bsq.core.json.Json;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyRegistry;

/**
 * An experiment document bound at a budget scale, without loading its data or its model: the configuration and the
 * strategy's parameters are checked (every problem reported at once, with its key, line and column) and the resolved
 * configuration ({@code budgetScale} and {@code experiment}, every default filled in, every path absolute) is built.
 * Its {@link #configHash()} is the hash a run folder of this experiment is bound to ({@link
 * org.bsq.core.harness.RunFolder.Identity#configHash()}), so planners can tell whether a folder holds this run
 * without loading anything; {@code bsq run} loads the same bound experiment.
 *
 * @param config the bound experiment file
 * @param strategy the strategy it names
 * @param resolved the resolved configuration that a run's identity and record hold
 */
public record BoundExperiment(ExperimentConfig config, QuantizationStrategy strategy, ObjectNode resolved) {

  /**
   * Binds {@code doc} at {@code budgetScale}.
   *
   * @throws UsageException listing every problem of the document, or naming a bad budget scale
   */
  public static BoundExperiment bind(ConfigDocument doc, double budgetScale) {
    PreparedRun.checkBudgetScale("--budget-scale", budgetScale);
    List<String> problems = new ArrayList<>();
    ExperimentConfig cfg = null;
    try {
      cfg = ConfigBinder.bind(doc, "", ExperimentConfig.class);
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    StrategyRegistry registry = StrategyRegistry.discover();
    String name = cfg != null ? cfg.strategy().name() : doc.tree().path("strategy").path("name").asText("");
    QuantizationStrategy strategy = null;
    Object params = null;
    if (!name.isBlank()) {
      try {
        strategy = registry.get(name);
      } catch (IllegalArgumentException e) {
        problems.add("strategy.name: " + e.getMessage() + doc.describeOrigin("strategy.name"));
      }
    }
    if (strategy != null) {
      try {
        params = ConfigBinder.bind(doc, "strategy.params", strategy.parametersType());
      } catch (ConfigException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new UsageException(new ConfigException(doc.source(), problems).getMessage());
    }
    ObjectNode experiment = Json.files().valueToTree(cfg);
    ((ObjectNode) experiment.get("strategy")).set("params", Json.files().valueToTree(params));
    // How the data are fetched is no part of the experiment: a run started with --download continues without it.
    ((ObjectNode) experiment.get("dataset")).remove("download");
    ObjectNode resolved = Json.files().createObjectNode();
    resolved.put("budgetScale", budgetScale);
    resolved.set("experiment", experiment);
    return new BoundExperiment(cfg, strategy, resolved);
  }

  /** A deep copy of the resolved configuration (the record's own node stays unchanged). */
  @Override
  public ObjectNode resolved() {
    return resolved.deepCopy();
  }

  /** {@link Harness#hash} of the resolved configuration: the run folder's identity hash. */
  public String configHash() {
    return Harness.hash(resolved);
  }
}
