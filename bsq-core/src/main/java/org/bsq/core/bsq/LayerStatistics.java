package org.bsq.core.bsq;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What the reference prints per bit layer ({@code print_stat}): the precision and the percentage of non-zero
 * {@code p - n} values of every plane, MSB first, for the weights and (if present) the bias.
 *
 * @param layer layer name
 * @param bits weight precision
 * @param scale weight scale
 * @param weightNonZeroPercent per plane, MSB first
 * @param biasBits bias precision, 0 without bias
 * @param biasNonZeroPercent per bias plane, MSB first (empty without bias)
 */
public record LayerStatistics(String layer, int bits, float scale, List<Double> weightNonZeroPercent, int biasBits,
                              List<Double> biasNonZeroPercent) {
  public LayerStatistics {
    weightNonZeroPercent = List.copyOf(weightNonZeroPercent);
    biasNonZeroPercent = List.copyOf(biasNonZeroPercent);
  }

  /**
   * The reference's lines, e.g. {@code Weight:   3.01%,  19.68%, ...} and {@code Bias:   ...} (values as
   * {@code %6.2f}), preceded by the layer name and precision.
   */
  public String format() {
    StringBuilder sb = new StringBuilder();
    sb.append(layer).append(": ").append(bits).append(" bits");
    if (biasBits > 0) {
      sb.append(", bias ").append(biasBits).append(" bits");
    }
    sb.append(System.lineSeparator()).append("Weight: ").append(percentages(weightNonZeroPercent));
    if (biasBits > 0) {
      sb.append(System.lineSeparator()).append("Bias:   ").append(percentages(biasNonZeroPercent));
    }
    return sb.toString();
  }

  private static String percentages(List<Double> values) {
    return values.stream().map(v -> String.format(Locale.ROOT, "%6.2f", v)).collect(Collectors.joining("%, ")) + "%";
  }
}
