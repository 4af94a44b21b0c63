package org.bsq.baselines;

import java.util.List;
import org.bsq.core.config.Validated;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyOutcome;

/**
 * Uniform quantization: every counted layer at the same weight precision (projection shortcuts stay at full
 * precision, as in BSQ's accounting). The harness then finetunes the model under that scheme, which makes this the
 * "same bits everywhere" baseline of the BSQ paper's comparisons.
 */
public final class UniformStrategy implements QuantizationStrategy {
  /** Registered name. */
  public static final String NAME = "uniform";

  /**
   * Parameters.
   *
   * @param weightBits weight bits of every counted layer (1..16)
   * @param activationBits activation bits of the scheme's counted layers (0 = keep the model's graph activations;
   *     applied as docs/algorithm.md section 4.1 says)
   */
  public record Parameters(int weightBits, int activationBits) implements Validated {
    static Parameters defaults() {
      return new Parameters(8, 0);
    }

    @Override
    public void validate(List<String> problems) {
      if (weightBits < 1 || weightBits > 16) {
        problems.add("weightBits: must be in [1, 16], was " + weightBits);
      }
      if (activationBits < 0 || activationBits > 16) {
        problems.add("activationBits: must be in [0, 16], was " + activationBits);
      }
    }
  }

  @Override
  public Class<Parameters> parametersType() {
    return Parameters.class;
  }

  @Override
  public StrategyOutcome run(StrategyContext context) {
    Parameters p = context.parameters(Parameters.class);
    return StrategyOutcome.of(QuantizationScheme.uniform(context.layers(), p.weightBits(), p.activationBits()));
  }
}
