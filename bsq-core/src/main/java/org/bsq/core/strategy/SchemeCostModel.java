package org.bsq.core.strategy;

import java.util.Map;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.QuantizationScheme;

/**
 * Prices a scheme: named costs such as {@code modelBits}, {@code latencyMs} or {@code energyMj}. The default is
 * {@link SizeOnlyCostModel}; hardware simulators plug in further models.
 */
public interface SchemeCostModel {
  /** Short name ("size", "bitfusion-e", ...). */
  String name();

  /** The costs of {@code scheme} on the model described by {@code inventory}; keys are stable metric names. */
  Map<String, Double> price(QuantizationScheme scheme, LayerInventory inventory);

  /**
   * The costs given the scheme's bit-level sparsity ({@link StrategyOutcome#weightPlaneNonZero()}); models that do not
   * use it ignore it.
   */
  default Map<String, Double> price(QuantizationScheme scheme, LayerInventory inventory,
                                    Map<String, java.util.List<Double>> weightPlaneNonZero) {
    return price(scheme, inventory);
  }

  /**
   * The additive per-layer table of {@code metric} over {@code inventory}, for searches; empty when this model does
   * not price the metric.
   */
  default java.util.Optional<org.bsq.core.search.LayerCostTable> table(LayerInventory inventory,
                                                                      org.bsq.core.search.CostMetric metric) {
    return java.util.Optional.empty();
  }
}
