package org.bsq.core.search;

import java.util.List;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;

/**
 * Additive per-layer pricing of one {@link CostMetric}: the cost of a scheme is the sum over the model's weight layers
 * (inventory order) of {@link #cost(int, int, int)} at the layer's (weight bits, activation bits). Searches price
 * thousands of candidates with it (no simulation in the loop); the harness still prices the final scheme with the full
 * cost model. Tables of accelerator presets are the hardware simulator's HAQ-style lookup tables; their sums may
 * differ slightly from a full simulation (see the implementing cost model).
 *
 * <p>Bits follow {@link org.bsq.core.quant.Precision}: 0 (pruned), 1..16, or 32 (full precision). How a model prices
 * activation bits a layer cannot have (0 or 32: not quantized; the image input of the first layer) is its own rule.
 */
public interface LayerCostTable {
  /** The metric this table prices. */
  CostMetric metric();

  /** The layers, in inventory order (the {@code layer} index of {@link #cost}). */
  List<String> layers();

  /** The cost of layer {@code layer} at {@code weightBits} / {@code activationBits}, in {@link CostMetric#unit()}. */
  double cost(int layer, int weightBits, int activationBits);

  /** The sum of the layers' costs at the given bits (one entry per layer). */
  default double total(int[] weightBits, int[] activationBits) {
    int n = layers().size();
    if (weightBits.length != n || activationBits.length != n) {
      throw new IllegalArgumentException("bit arrays must have one entry per layer (" + n + "), was "
          + weightBits.length + " and " + activationBits.length);
    }
    double sum = 0;
    for (int l = 0; l < n; l++) {
      sum += cost(l, weightBits[l], activationBits[l]);
    }
    return sum;
  }

  /** The cost of a scheme over {@code inventory} (whose layers must be this table's). */
  default double total(QuantizationScheme scheme, LayerInventory inventory) {
    List<LayerInfo> infos = inventory.layers();
    if (infos.size() != layers().size()) {
      throw new IllegalArgumentException("inventory must have this table's " + layers().size() + " layers, was "
          + infos.size());
    }
    double sum = 0;
    for (int l = 0; l < infos.size(); l++) {
      LayerPrecision p = scheme.get(infos.get(l).name());
      sum += cost(l, p.weightBits(), p.activationBits());
    }
    return sum;
  }
}
