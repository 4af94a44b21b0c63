package org.bsq.core.strategy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.LayerCostTable;
import java.util.Map;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.QuantizationScheme;

/** Model size only: the paper's average bits and compression, and the honest whole-model size. */
public final class SizeOnlyCostModel implements SchemeCostModel {
  @Override
  public String name() { return "size"; }

  @Override
  public Map<String, Double> price(QuantizationScheme scheme, LayerInventory inventory) {
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("averageBits", scheme.averageBits(inventory));
    out.put("compressionPaper", scheme.compression(inventory));
    out.put("wholeModelBits", (double) scheme.wholeModelBits(inventory));
    out.put("wholeModelCompression", scheme.wholeModelCompression(inventory));
    return out;
  }

  /**
   * Size: each counted layer costs {@code params * weightBits / countedParams} (so the total is the scheme's average
   * bits); projection shortcuts and activation bits cost nothing.
   */
  @Override
  public java.util.Optional<LayerCostTable> table(LayerInventory inventory, CostMetric metric) {
    if (metric != CostMetric.SIZE) {
      return java.util.Optional.empty();
    }
    List<String> names = new ArrayList<>();
    double[] share = new double[inventory.size()];
    double counted = QuantizationScheme.countedParams(inventory);
    for (LayerInfo l : inventory) {
      names.add(l.name());
      share[l.index()] = l.projectionShortcut() ? 0 : l.paramCount() / counted;
    }
    List<String> layers = List.copyOf(names);
    return java.util.Optional.of(new LayerCostTable() {
      @Override public CostMetric metric() { return CostMetric.SIZE; }
      @Override public List<String> layers() { return layers; }
      @Override public double cost(int layer, int weightBits, int activationBits) {
        return share[layer] * weightBits;
      }
    });
  }
}
