package org.bsq.hwsim;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What the tiling search minimizes first (the other metric breaks ties). BitFusion minimizes cycles; its reported
 * energy then belongs to the fastest schedule and can fall when bits grow (a slower bit-width may force a thriftier
 * schedule). Under {@code ENERGY} the reported energy is monotone in the bits instead.
 */
public enum SearchObjective {
  /** Minimum total cycles, then minimum energy (BitFusion). */
  @JsonProperty("latency") LATENCY,
  /** Minimum energy, then minimum cycles. */
  @JsonProperty("energy") ENERGY
}
