package org.bsq.hwsim;

/** Prices a workload on some hardware. Implementations are thread-safe. */
@FunctionalInterface
public interface CostModel {
  /** Latency and energy of every layer and in total. */
  CostReport price(Workload workload);
}
