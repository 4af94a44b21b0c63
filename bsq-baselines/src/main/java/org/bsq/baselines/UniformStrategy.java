package org.bsq.baselines;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.bsq.core.config.Validated;
import org.bsq.core.engine.Model;
import org.bsq.core.finetune.FixedPrecisionWeightSource;
import org.bsq.core.finetune.WeightClipCalibration;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.Precision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyOutcome;

/**
 * Uniform quantization: every counted layer at the same weight precision (projection shortcuts stay at full
 * precision, as in BSQ's accounting), with optional per-layer overrides by name pattern (e.g. the first and last layer
 * at 8 bits). See {@code docs/strategies/uniform.md}.
 *
 * <ul>
 *   <li>{@code mode: qat} (default): the harness finetunes the model under the scheme; that finetuning is the
 *   quantization-aware training, with the same quantizer as every other strategy's finetuning. This is the
 *   "same bits everywhere" baseline of the BSQ paper's comparisons.</li>
 *   <li>{@code mode: ptq}: post-training quantization; the harness evaluates the scheme without finetuning.</li>
 *   <li>{@code calibration: max} (default): the harness quantizes with {@code s = max|W|} per layer.
 *   {@code calibration: mse}: per layer, the clip with the smallest weight quantization error at the layer's bits
 *   ({@link WeightClipCalibration#mseClip}); the strategy installs {@link FixedPrecisionWeightSource}s with
 *   {@code s = c}, {@code u = W / c}, which the harness keeps ({@link org.bsq.core.finetune.NormalizedWeights}).</li>
 * </ul>
 */
public final class UniformStrategy implements QuantizationStrategy {
  /** Registered name. */
  public static final String NAME = "uniform";

  @Override
  public String summary() {
    return "every counted layer at the same bits (pattern overrides), post-training (ptq) or finetuned (qat), max or MSE clipping";
  }

  /** Whether the harness finetunes the scheme. */
  public enum Mode { @JsonProperty("qat") QAT, @JsonProperty("ptq") PTQ }

  /** How each layer's weight clip (scale) is chosen. */
  public enum Calibration { @JsonProperty("max") MAX, @JsonProperty("mse") MSE }

  /**
   * One per-layer override. Unset bits keep what the layer has so far.
   *
   * @param pattern a glob matched against the <em>whole</em> layer name: {@code *} any run of characters (dots
   *     included), {@code ?} one character, everything else literal ({@code conv1} is only the stem layer,
   *     {@code layer1.*} every layer of stage 1, {@code *.conv1} the first conv of every block)
   * @param weightBits weight bits of the matched layers (0 = pruned, 1..16, or 32 = full precision); unset: unchanged
   * @param activationBits activation bits recorded for the matched layers (0..16); unset: unchanged
   * @param shortcuts whether the override may change projection shortcuts; without it they are skipped (and a pattern
   *     that matches only shortcuts is an error)
   */
  public record LayerOverride(String pattern, Integer weightBits, Integer activationBits, Boolean shortcuts) {
    boolean includesShortcuts() { return Boolean.TRUE.equals(shortcuts); }

    void validate(String at, List<String> problems) {
      if (pattern == null || pattern.isBlank()) {
        problems.add(at + ".pattern: must be a glob naming layers (e.g. 'conv1', 'layer1.*'), was "
            + (pattern == null ? "missing" : "'" + pattern + "'"));
      }
      if (weightBits == null && activationBits == null) {
        problems.add(at + ": must set weightBits or activationBits (or both), was neither");
      }
      if (weightBits != null && !((weightBits >= 0 && weightBits <= 16) || weightBits == Precision.FULL_BITS)) {
        problems.add(at + ".weightBits: must be in [0, 16] or 32 (full precision), was " + weightBits);
      }
      if (activationBits != null && (activationBits < 0 || activationBits > 16)) {
        problems.add(at + ".activationBits: must be in [0, 16], was " + activationBits);
      }
    }
  }

  /**
   * Parameters.
   *
   * @param weightBits weight bits of every counted layer (1..16)
   * @param activationBits activation bits of the scheme's counted layers (0 = keep the model's graph activations;
   *     applied as docs/algorithm.md section 4.1 says)
   * @param mode {@code qat} (the harness finetunes) or {@code ptq} (no finetuning)
   * @param overrides per-layer overrides, applied in order (a later override wins where patterns overlap)
   * @param calibration {@code max} ({@code s = max|W|}) or {@code mse} (per-layer clip minimizing the weight error)
   */
  public record Parameters(int weightBits, int activationBits, Mode mode, List<LayerOverride> overrides,
                           Calibration calibration) implements Validated {
    static Parameters defaults() {
      return new Parameters(8, 0, Mode.QAT, List.of(), Calibration.MAX);
    }

    public Parameters {
      overrides = overrides == null ? List.of() : java.util.Collections.unmodifiableList(new ArrayList<>(overrides));
    }

    @Override
    public void validate(List<String> problems) {
      if (weightBits < 1 || weightBits > 16) {
        problems.add("weightBits: must be in [1, 16], was " + weightBits);
      }
      if (activationBits < 0 || activationBits > 16) {
        problems.add("activationBits: must be in [0, 16], was " + activationBits);
      }
      if (mode == null) {
        problems.add("mode: must be qat or ptq, was null");
      }
      if (calibration == null) {
        problems.add("calibration: must be max or mse, was null");
      }
      for (int i = 0; i < overrides.size(); i++) {
        if (overrides.get(i) == null) {
          problems.add("overrides[" + i + "]: must be a mapping {pattern, weightBits, activationBits}, was null");
        } else {
          overrides.get(i).validate("overrides[" + i + "]", problems);
        }
      }
    }
  }

  @Override
  public Class<Parameters> parametersType() {
    return Parameters.class;
  }

  /** Binds the parameters and resolves the overrides against the model: a pattern that matches nothing fails here. */
  @Override
  public void check(StrategyContext context) {
    scheme(context.parameters(Parameters.class), context.layers());
  }

  @Override
  public StrategyOutcome run(StrategyContext context) {
    Parameters p = context.parameters(Parameters.class);
    QuantizationScheme scheme = scheme(p, context.layers());
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("mode", p.mode().name().toLowerCase(Locale.ROOT));
    details.put("calibration", p.calibration().name().toLowerCase(Locale.ROOT));
    if (p.calibration() == Calibration.MSE) {
      details.put("clipFraction", calibrate(context.model(), context.layers(), scheme));
    }
    StrategyOutcome outcome = new StrategyOutcome(scheme, List.of(), details);
    return p.mode() == Mode.PTQ ? outcome.withoutFinetuning() : outcome;
  }

  /**
   * The scheme: every counted layer at {@code weightBits}/{@code activationBits}, shortcuts at full precision, then
   * the overrides in order. Fails naming a pattern that matches no layer (listing the layers) or only shortcuts
   * without {@code shortcuts: true}.
   */
  static QuantizationScheme scheme(Parameters p, LayerInventory inventory) {
    List<LayerInfo> infos = inventory.layers();
    LayerPrecision[] out = new LayerPrecision[infos.size()];
    for (LayerInfo l : infos) {
      out[l.index()] = l.projectionShortcut() ? LayerPrecision.full(l.name())
          : LayerPrecision.of(l.name(), p.weightBits(), p.activationBits());
    }
    List<String> names = infos.stream().map(LayerInfo::name).toList();
    for (int i = 0; i < p.overrides().size(); i++) {
      LayerOverride o = p.overrides().get(i);
      Pattern glob = glob(o.pattern());
      List<String> matched = new ArrayList<>();
      List<String> skippedShortcuts = new ArrayList<>();
      for (LayerInfo l : infos) {
        if (!glob.matcher(l.name()).matches()) {
          continue;
        }
        if (l.projectionShortcut() && !o.includesShortcuts()) {
          skippedShortcuts.add(l.name());
          continue;
        }
        matched.add(l.name());
        LayerPrecision cur = out[l.index()];
        out[l.index()] = LayerPrecision.of(l.name(), o.weightBits() == null ? cur.weightBits() : o.weightBits(),
            o.activationBits() == null ? cur.activationBits() : o.activationBits());
      }
      String at = "strategy (uniform) overrides[" + i + "].pattern '" + o.pattern() + "'";
      if (matched.isEmpty() && skippedShortcuts.isEmpty()) {
        throw new IllegalArgumentException(at + " must match at least one layer name (whole-name glob: * any "
            + "characters, ? one character), matched none; layers of model '" + inventory.model() + "': " + names);
      }
      if (matched.isEmpty()) {
        throw new IllegalArgumentException(at + " matches only projection shortcuts " + skippedShortcuts
            + ", which stay at full precision unless the override says 'shortcuts: true'");
      }
    }
    QuantizationScheme scheme = new QuantizationScheme(List.of(out));
    scheme.checkAgainst(inventory);
    return scheme;
  }

  /** A whole-name glob: {@code *} any characters, {@code ?} one character, everything else literal. */
  static Pattern glob(String pattern) {
    StringBuilder re = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (char c : pattern.toCharArray()) {
      if (c == '*' || c == '?') {
        if (literal.length() > 0) {
          re.append(Pattern.quote(literal.toString()));
          literal.setLength(0);
        }
        re.append(c == '*' ? ".*" : ".");
      } else {
        literal.append(c);
      }
    }
    if (literal.length() > 0) {
      re.append(Pattern.quote(literal.toString()));
    }
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }

  /**
   * MSE clip calibration: every layer at 1..16 weight bits gets a {@link FixedPrecisionWeightSource} with its
   * calibrated clip as the scale (pruned and full-precision layers are left to the harness). Returns each calibrated
   * layer's clip as a fraction of {@code max|W|}.
   */
  static Map<String, Double> calibrate(Model model, LayerInventory inventory, QuantizationScheme scheme) {
    Map<String, Double> fractions = new LinkedHashMap<>();
    for (LayerInfo l : inventory) {
      int bits = scheme.get(l.name()).weightBits();
      if (bits < 1 || bits > 16) {
        continue;
      }
      float[] w = new float[Math.toIntExact(l.weightCount())];
      model.weightSource(l.name()).weights(w);
      float max = WeightClipCalibration.maxAbs(w);
      float clip = WeightClipCalibration.mseClip(w, bits);
      if (clip == 0f) {
        continue; // all-zero weights: the harness's max rule gives the same
      }
      int[] shape = l.weightShape().stream().mapToInt(Integer::intValue).toArray();
      FixedPrecisionWeightSource.install(model.parameters(), l.name(), shape, WeightClipCalibration.normalize(w, clip),
          clip);
      model.setWeightSource(l.name(), new FixedPrecisionWeightSource(model.parameters(), l.name(), bits));
      fractions.put(l.name(), (double) clip / max);
    }
    return fractions;
  }
}
