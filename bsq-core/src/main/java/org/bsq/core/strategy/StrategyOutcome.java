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
 * @param weightPlaneNonZero per layer, the fraction of weights whose magnitude bit is set, per bit plane from the most
 *     significant one (BSQ's bit-level sparsity; cost models of essential-bit accelerators use it); empty when the
 *     strategy has no bit planes
 * @param finetune whether the harness finetunes the scheme (false: post-training quantization, the scheme is
 *     evaluated as the strategy leaves the model)
 */
public record StrategyOutcome(QuantizationScheme scheme, List<EpochRecord> trajectory, Map<String, Object> details,
                              Map<String, List<Double>> weightPlaneNonZero, boolean finetune) {
  public StrategyOutcome {
    if (scheme == null) {
      throw new IllegalArgumentException("strategy outcome must have a scheme, was null");
    }
    trajectory = List.copyOf(trajectory);
    details = Map.copyOf(details);
    weightPlaneNonZero = Map.copyOf(weightPlaneNonZero);
  }

  /** An outcome the harness finetunes. */
  public StrategyOutcome(QuantizationScheme scheme, List<EpochRecord> trajectory, Map<String, Object> details,
                         Map<String, List<Double>> weightPlaneNonZero) {
    this(scheme, trajectory, details, weightPlaneNonZero, true);
  }

  /** An outcome without bit-plane statistics. */
  public StrategyOutcome(QuantizationScheme scheme, List<EpochRecord> trajectory, Map<String, Object> details) {
    this(scheme, trajectory, details, Map.of());
  }

  /** The same outcome, which the harness evaluates without finetuning (post-training quantization). */
  public StrategyOutcome withoutFinetuning() {
    return new StrategyOutcome(scheme, trajectory, details, weightPlaneNonZero, false);
  }

  public static StrategyOutcome of(QuantizationScheme scheme) {
    return new StrategyOutcome(scheme, List.of(), Map.of());
  }
}
