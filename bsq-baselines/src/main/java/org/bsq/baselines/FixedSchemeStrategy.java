package org.bsq.baselines;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bsq.core.config.Validated;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.harness.Harness;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyOutcome;

/**
 * A given scheme, trained "from scratch" (the BSQ paper's comparison): the scheme of an earlier run (e.g. a BSQ run's
 * {@code run.json}) or per-layer bits written in the config. The harness then quantizes the experiment's float model
 * to that scheme ({@code s = max|W|}) and finetunes it, so the result isolates what BSQ's training adds beyond its
 * precision choice.
 */
public final class FixedSchemeStrategy implements QuantizationStrategy {
  /** Registered name. */
  public static final String NAME = "scheme";

  @Override
  public String summary() {
    return "a given scheme (another run's run.json, or bits per layer) finetuned again, e.g. from scratch";
  }

  /**
   * Parameters: exactly one of {@code run} and {@code weightBits}.
   *
   * @param run a {@code run.json} whose {@code scheme.layers} to reuse
   * @param weightBits per-layer weight bits (every weight layer; 32 = full precision, 0 = pruned)
   * @param activationBits activation bits of every quantized layer when {@code weightBits} is used (0 = keep the
   *     model's graph activations; applied as docs/algorithm.md section 4.1 says)
   */
  public record Parameters(Path run, Map<String, Integer> weightBits, int activationBits) implements Validated {
    static Parameters defaults() {
      return new Parameters(null, null, 0);
    }

    @Override
    public void validate(List<String> problems) {
      if ((run == null) == (weightBits == null || weightBits.isEmpty())) {
        problems.add("run/weightBits: give exactly one of them (a run.json to copy, or the bits per layer)");
      }
      if (run != null && !Files.isRegularFile(run)) {
        problems.add("run: must be an existing run.json, was '" + run + "'");
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
    QuantizationScheme scheme;
    if (p.run() != null) {
      scheme = Harness.readFinishedRecord(p.run()).scheme().toQuantizationScheme();
    } else {
      List<LayerPrecision> layers = new ArrayList<>();
      for (LayerInfo l : context.layers()) {
        Integer bits = p.weightBits().get(l.name());
        if (bits == null) {
          throw new IllegalArgumentException("strategy (scheme) weightBits must list layer '" + l.name()
              + "'; listed: " + p.weightBits().keySet());
        }
        layers.add(LayerPrecision.of(l.name(), bits, bits == 32 ? 0 : p.activationBits()));
      }
      scheme = new QuantizationScheme(layers);
    }
    scheme.checkAgainst(context.layers());
    return new StrategyOutcome(scheme, List.of(),
        Map.of("source", p.run() != null ? p.run().toString() : "config weightBits"));
  }
}
