package org.bsq.core.search;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;
import java.util.List;

/**
 * A cost a search can target, with the key under which cost models report it ({@code run.json} {@code cost.<model>}).
 * Size is priced by the {@code size} model; latency and energy by an accelerator preset of the hardware simulator.
 */
public enum CostMetric {
  /** Average weight bits over the counted layers (the paper's size measure; activation bits do not matter). */
  @JsonProperty("size") SIZE("size", "averageBits", "bits"),
  /** Latency per image in milliseconds on an accelerator preset. */
  @JsonProperty("latency") LATENCY("latency", "latencyMsPerImage", "ms"),
  /** Energy per image in millijoules on an accelerator preset. */
  @JsonProperty("energy") ENERGY("energy", "energyMjPerImage", "mJ");

  private final String label;
  private final String key;
  private final String unit;

  CostMetric(String label, String key, String unit) {
    this.label = label;
    this.key = key;
    this.unit = unit;
  }

  /** The name in configs: {@code size}, {@code latency}, {@code energy}. */
  public String label() { return label; }

  /** The key of the metric in a cost model's price map. */
  public String key() { return key; }

  /** The unit of the metric's values. */
  public String unit() { return unit; }

  /** Whether an accelerator preset (not the size model) prices this metric. */
  public boolean needsAccelerator() { return this != SIZE; }

  /** The metric named {@code label}; an unknown name fails listing the known ones. */
  public static CostMetric of(String label) {
    for (CostMetric m : values()) {
      if (m.label.equals(label)) {
        return m;
      }
    }
    throw new IllegalArgumentException("cost metric must be one of " + labels() + ", was '" + label + "'");
  }

  /** The config names of every metric. */
  public static List<String> labels() {
    return Arrays.stream(values()).map(CostMetric::label).toList();
  }
}
