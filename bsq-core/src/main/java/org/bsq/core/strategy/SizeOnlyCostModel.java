package org.bsq.core.strategy;

import java.util.LinkedHashMap;
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
}
