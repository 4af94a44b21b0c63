package org.bsq.core.strategy;

import java.util.List;
import java.util.Map;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.train.EpochRecord;

/**
 * What a strategy hands back to the harness.
 *
 * @param scheme the proposed precision of every weight layer
 * @param trajectory per-epoch records of the strategy's own training, if any (empty for pure searches)
 * @param details strategy-specific facts for the run record (e.g. BSQ's per-plane statistics), JSON-serializable
 */
public record StrategyOutcome(QuantizationScheme scheme, List<EpochRecord> trajectory, Map<String, Object> details) {
  public StrategyOutcome {
    if (scheme == null) {
      throw new IllegalArgumentException("strategy outcome must have a scheme, was null");
    }
    trajectory = List.copyOf(trajectory);
    details = Map.copyOf(details);
  }

  public static StrategyOutcome of(QuantizationScheme scheme) {
    return new StrategyOutcome(scheme, List.of(), Map.of());
  }
}
