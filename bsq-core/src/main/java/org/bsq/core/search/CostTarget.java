package org.bsq.core.search;

import java.util.ArrayList;
import java.util.List;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.SchemeCostModel;

/**
 * The run's cost side, as a search sees it: every cost model of the run (the {@code size} model and each accelerator
 * preset of {@code accelerators:}) and the objective a search targets: one {@link CostMetric} on one of those models
 * ({@code objective: {metric: latency, accelerator: bitfusion-e}} in an experiment file; size by default). The objective
 * prices candidates through the model's additive {@link LayerCostTable}, built once.
 */
public final class CostTarget {
  private final List<SchemeCostModel> models;
  private final SchemeCostModel objectiveModel;
  private final CostMetric metric;
  private final LayerInventory inventory;
  private final LayerCostTable table;

  /**
   * @param models every cost model of the run
   * @param objectiveModel the name of the model that prices the objective (must be one of {@code models})
   * @param metric the objective metric (the model must price it)
   * @param inventory the model's weight layers
   */
  public CostTarget(List<SchemeCostModel> models, String objectiveModel, CostMetric metric, LayerInventory inventory) {
    this.models = List.copyOf(models);
    this.metric = metric;
    this.inventory = inventory;
    this.objectiveModel = model(objectiveModel);
    this.table = this.objectiveModel.table(inventory, metric).orElseThrow(() -> new IllegalArgumentException(
        "cost model '" + objectiveModel + "' must price " + metric.label() + " to be the objective; "
            + (metric.needsAccelerator() ? "name an accelerator preset" : "use the size model")));
  }

  /** Size as the objective, priced by the first model (the size model), the default of runs without an objective. */
  public static CostTarget size(List<SchemeCostModel> models, LayerInventory inventory) {
    return new CostTarget(models, models.get(0).name(), CostMetric.SIZE, inventory);
  }

  /** Every cost model of the run. */
  public List<SchemeCostModel> models() { return models; }

  /** The cost model named {@code name}; an unknown name fails listing the known ones. */
  public SchemeCostModel model(String name) {
    List<String> names = new ArrayList<>();
    for (SchemeCostModel m : models) {
      if (m.name().equals(name)) {
        return m;
      }
      names.add(m.name());
    }
    throw new IllegalArgumentException("cost model must be one of the run's " + names + " (add accelerator presets to "
        + "'accelerators:'), was '" + name + "'");
  }

  /** The model that prices the objective. */
  public SchemeCostModel objectiveModel() { return objectiveModel; }

  /** The objective metric. */
  public CostMetric metric() { return metric; }

  /** The objective's per-layer table (fast pricing of candidates). */
  public LayerCostTable table() { return table; }

  /** The objective cost of {@code scheme} by the table. */
  public double price(QuantizationScheme scheme) { return table.total(scheme, inventory); }

  /** E.g. {@code latency on bitfusion-e (ms)}. */
  public String describe() {
    return metric.label() + (metric.needsAccelerator() ? " on " + objectiveModel.name() : "") + " (" + metric.unit()
        + ")";
  }

  @Override
  public String toString() { return describe(); }
}
