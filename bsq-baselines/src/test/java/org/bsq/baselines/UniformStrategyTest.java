package org.bsq.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bsq.core.config.ConfigException;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.finetune.FixedPrecisionWeightSource;
import org.bsq.core.finetune.WeightClipCalibration;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.harness.Experiment;
import org.bsq.core.harness.FinetuneSettings;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.provenance.Provenance;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.Precision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyContract;
import org.bsq.core.strategy.StrategyOutcome;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.bsq.core.train.InMemoryBatchSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UniformStrategyTest extends StrategyContract {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected QuantizationStrategy strategy() { return new UniformStrategy(); }

  @Override
  protected String registeredName() { return "uniform"; }

  @Override
  protected JsonNode parameters() { return JSON.createObjectNode().put("weightBits", 4).put("activationBits", 4); }

  @Test
  void everyCountedLayerGetsTheBitsAndShortcutsStayFloat(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    QuantizationScheme s = strategy().run(ctx).scheme();
    for (LayerInfo l : ctx.layers()) {
      assertEquals(l.projectionShortcut() ? Precision.FULL_BITS : 4, s.get(l.name()).weightBits(), l.name());
    }
    assertEquals(4.0, s.averageBits(ctx.layers()), 1e-12);
    assertEquals(8.0, s.compression(ctx.layers()), 1e-12);
  }

  @Test
  void badParametersAreAllReported(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    StrategyContext bad = new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(), ctx.validation(),
        ctx.cost(), ctx.budget(), ctx.seed(),
        JSON.createObjectNode().put("weightBits", 0).put("activationBits", 40).put("bits", 3), ctx.workDir());
    ConfigException e = assertThrows(ConfigException.class, () -> strategy().run(bad));
    assertTrue(e.problems().stream().anyMatch(p -> p.startsWith("bits: unknown key")), e.problems().toString());
    ctx = new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(), ctx.validation(), ctx.cost(),
        ctx.budget(), ctx.seed(), JSON.createObjectNode().put("weightBits", 0).put("activationBits", 40),
        ctx.workDir());
    StrategyContext ctx2 = ctx;
    e = assertThrows(ConfigException.class, () -> strategy().run(ctx2));
    assertEquals(2, e.problems().size(), e.problems().toString());
  }

  @Test
  void aParamsKeyWithoutValueMeansTheDefaults(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    StrategyContext empty = new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(),
        ctx.validation(), ctx.cost(), ctx.budget(), ctx.seed(),
        com.fasterxml.jackson.databind.node.NullNode.getInstance(), ctx.workDir());
    QuantizationScheme s = strategy().run(empty).scheme();
    UniformStrategy.Parameters d = UniformStrategy.Parameters.defaults();
    for (LayerInfo l : ctx.layers()) {
      assertEquals(l.projectionShortcut() ? Precision.FULL_BITS : d.weightBits(), s.get(l.name()).weightBits(),
          l.name());
    }
  }

  private StrategyContext with(StrategyContext ctx, JsonNode params) {
    return new StrategyContext(ctx.layers(), ctx.model(), ctx.backend(), ctx.train(), ctx.validation(), ctx.cost(),
        ctx.budget(), ctx.seed(), params, ctx.workDir());
  }

  private static ObjectNode params(int weightBits, int activationBits) {
    return JSON.createObjectNode().put("weightBits", weightBits).put("activationBits", activationBits);
  }

  @Test
  void ptqModeAsksTheHarnessNotToFinetune(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    assertTrue(strategy().run(ctx).finetune(), "qat (the default) is finetuned by the harness");
    StrategyOutcome ptq = strategy().run(with(ctx, params(4, 4).put("mode", "ptq")));
    assertFalse(ptq.finetune(), "ptq skips finetuning");
    assertEquals("ptq", ptq.details().get("mode"));
  }

  @Test
  void overridesAreAppliedInOrderAndTheLaterOneWins(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    ObjectNode p = params(4, 4);
    ArrayNode o = p.putArray("overrides");
    o.addObject().put("pattern", "b?.conv*").put("weightBits", 3);
    o.addObject().put("pattern", "b2.conv2").put("weightBits", 5).put("activationBits", 8);
    o.addObject().put("pattern", "fc").put("weightBits", 32);
    o.addObject().put("pattern", "*").put("activationBits", 6); // every counted layer; the shortcut is skipped
    QuantizationScheme s = strategy().run(with(ctx, p)).scheme();
    assertEquals(LayerPrecision.of("conv1", 4, 6), s.get("conv1"), "'conv1' is the whole name: only the stem");
    assertEquals(LayerPrecision.of("b1.conv1", 3, 6), s.get("b1.conv1"));
    assertEquals(LayerPrecision.of("b1.conv2", 3, 6), s.get("b1.conv2"));
    assertEquals(LayerPrecision.of("b2.conv1", 3, 6), s.get("b2.conv1"));
    assertEquals(LayerPrecision.of("b2.conv2", 5, 6), s.get("b2.conv2"), "a later override wins");
    assertEquals(LayerPrecision.of("fc", 32, 6), s.get("fc"));
    assertEquals(LayerPrecision.full("b1.down"), s.get("b1.down"), "shortcuts stay full without 'shortcuts: true'");
  }

  @Test
  void shortcutsAreOverriddenOnlyWhenTheOverrideSaysSo(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    ObjectNode p = params(4, 4);
    p.putArray("overrides").addObject().put("pattern", "*.down").put("weightBits", 8);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> strategy().check(with(ctx, p)));
    assertTrue(e.getMessage().contains("'*.down'") && e.getMessage().contains("shortcuts: true"), e.getMessage());
    ((ObjectNode) p.get("overrides").get(0)).put("shortcuts", true);
    QuantizationScheme s = strategy().run(with(ctx, p)).scheme();
    assertEquals(8, s.get("b1.down").weightBits());
    assertEquals(4, s.get("b1.conv1").weightBits());
  }

  @Test
  void aPatternMatchingNoLayerFailsNamingItAndTheLayersBeforeAnyWork(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    ObjectNode p = params(4, 4);
    p.putArray("overrides").addObject().put("pattern", "conv1").put("weightBits", 8);
    ((ArrayNode) p.get("overrides")).addObject().put("pattern", "layer1.*").put("weightBits", 8);
    StrategyContext bad = with(ctx, p);
    for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
        () -> strategy().check(bad), () -> strategy().run(bad))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
      assertTrue(e.getMessage().contains("overrides[1].pattern 'layer1.*'"), e.getMessage());
      assertTrue(e.getMessage().contains("[conv1, b1.conv1, b1.conv2, b1.down, b2.conv1, b2.conv2, fc]"),
          e.getMessage());
    }
    ObjectNode empty = params(4, 4);
    empty.putArray("overrides").addObject().put("pattern", "fc");
    ConfigException e = assertThrows(ConfigException.class, () -> strategy().check(with(ctx, empty)));
    assertTrue(e.getMessage().contains("overrides[0]: must set weightBits or activationBits"), e.getMessage());
  }

  @Test
  void globsMatchWholeNamesLiterally() {
    assertTrue(UniformStrategy.glob("layer1.*").matcher("layer1.0.conv1").matches());
    assertFalse(UniformStrategy.glob("layer1.*").matcher("layer10.0.conv1").matches(), "the dot is literal");
    assertFalse(UniformStrategy.glob("conv1").matcher("layer1.0.conv1").matches(), "the whole name");
    assertTrue(UniformStrategy.glob("*.conv1").matcher("layer1.0.conv1").matches());
    assertTrue(UniformStrategy.glob("layer?.0.conv?").matcher("layer3.0.conv2").matches());
    assertFalse(UniformStrategy.glob("layer(1)").matcher("layer1").matches(), "regex characters are literal");
  }

  private static float[] gaussian(int n, long seed) {
    Random r = new Random(seed);
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (float) (0.05 * r.nextGaussian());
    }
    return w;
  }

  @Test
  void mseClipBeatsMaxAtLowBitsAndStaysNearMaxAtHighBits() {
    float[] w = gaussian(4096, 3);
    float max = WeightClipCalibration.maxAbs(w);
    for (int bits : new int[] {2, 3}) {
      float clip = WeightClipCalibration.mseClip(w, bits);
      double mse = WeightClipCalibration.error(w, clip, bits);
      double atMax = WeightClipCalibration.error(w, max, bits);
      assertTrue(clip < 0.8f * max, bits + " bits: clip " + clip / max + " of max");
      assertTrue(mse < 0.7 * atMax, bits + " bits: mse " + mse + " vs max " + atMax);
    }
    for (int bits : new int[] {8, 12}) {
      float clip = WeightClipCalibration.mseClip(w, bits);
      assertTrue(clip >= 0.9f * max, bits + " bits: clip " + clip / max + " of max");
      assertTrue(WeightClipCalibration.error(w, clip, bits) <= WeightClipCalibration.error(w, max, bits));
    }
    // the error is the installed quantizer's: s = c, u = W / c
    org.bsq.core.param.ParameterStore store = new org.bsq.core.param.ParameterStore();
    float clip = WeightClipCalibration.mseClip(w, 2);
    FixedPrecisionWeightSource.install(store, "l", new int[] {w.length}, WeightClipCalibration.normalize(w, clip),
        clip);
    float[] q = new float[w.length];
    new FixedPrecisionWeightSource(store, "l", 2).weights(q);
    double sum = 0;
    for (int i = 0; i < w.length; i++) {
      sum += ((double) q[i] - w[i]) * ((double) q[i] - w[i]);
    }
    assertEquals(WeightClipCalibration.error(w, clip, 2), sum, 1e-12 * Math.max(1, sum));
  }

  @Test
  void mseCalibrationInstallsTheClipAndTheHarnessKeepsIt(@TempDir Path dir) {
    StrategyContext ctx = context(1, dir);
    Model model = ctx.model();
    float[] w = model.parameters().get("b1.conv1.weight").value().clone();
    StrategyOutcome out = strategy().run(with(ctx, params(2, 0).put("calibration", "mse")));
    float clip = WeightClipCalibration.mseClip(w, 2);
    assertInstanceOf(FixedPrecisionWeightSource.class, model.weightSource("b1.conv1"));
    assertEquals(clip, model.parameters().get("b1.conv1.qscale").value()[0]);
    @SuppressWarnings("unchecked")
    Map<String, Double> fractions = (Map<String, Double>) out.details().get("clipFraction");
    assertEquals(clip / WeightClipCalibration.maxAbs(w), fractions.get("b1.conv1"), 1e-6);
    assertFalse(fractions.containsKey("b1.down"), "full-precision shortcuts are not calibrated");
    float[] u = model.parameters().get("b1.conv1.qweight").value().clone();
    Harness.installFixedScheme(model, out.scheme());
    assertEquals(clip, model.parameters().get("b1.conv1.qscale").value()[0], "the harness keeps the clip");
    assertArrayEquals(u, model.parameters().get("b1.conv1.qweight").value(), 0f);
    assertInstanceOf(FixedPrecisionWeightSource.class, model.weightSource("b1.conv1"));
    float[] q = new float[w.length];
    model.weightSource("b1.conv1").weights(q);
    double err = 0;
    for (int i = 0; i < w.length; i++) {
      err += ((double) q[i] - w[i]) * ((double) q[i] - w[i]);
    }
    assertEquals(WeightClipCalibration.error(w, clip, 2), err, 1e-9);
    assertTrue(err <= WeightClipCalibration.error(w, WeightClipCalibration.maxAbs(w), 2));
  }

  private Experiment experiment(JsonNode params, Path dir) {
    Model model = TinyNets.residualFloat(8);
    org.bsq.core.graph.Shape in = model.graph().inputShape();
    int n = 24;
    float[] x = TinyNets.input(model, n, 3);
    int[] y = TinyNets.labels(model, n, 4);
    InMemoryBatchSource train = new InMemoryBatchSource("tiny/train", x, y, in.channels(), in.height(), in.width(),
        TinyNets.CLASSES, 6, 5, true);
    InMemoryBatchSource test = new InMemoryBatchSource("tiny/test", x, y, in.channels(), in.height(), in.width(),
        TinyNets.CLASSES, 6, 5, false);
    StrategyContext ctx = new StrategyContext(LayerInventory.of(model.graph()), model, new ReferenceBackend(1), train,
        test, new SizeOnlyCostModel(), new Budget(1, 0, 0), 5, params, dir.resolve("strategy/work"));
    FinetuneSettings f = new FinetuneSettings(2, 0.05, 0.9, 1e-4, false, List.of(), 0.1, false,
        FinetuneSettings.ON_VALIDATION, false);
    return new Experiment("uniform", strategy(), ctx, train, null, test, f, 1.0,
        org.bsq.core.json.Json.files().createObjectNode().put("seed", 5),
        Provenance.collect("test", "reference", Map.of(), dir), List.of(new SizeOnlyCostModel()), dir);
  }

  @Test
  void aPtqHarnessRunRecordsNoFinetuning(@TempDir Path ptqDir, @TempDir Path qatDir) {
    Experiment e = experiment(params(3, 0).put("mode", "ptq").put("calibration", "mse"), ptqDir);
    float[] w = e.context().model().parameters().get("b2.conv1.weight").value().clone();
    RunRecord r = new Harness(List.of()).run(e);
    assertEquals(0, r.trajectory().finetune().size(), "no finetuning epochs");
    assertEquals(Harness.NO_FINETUNING, r.trajectory().finetuneEvaluatedOn());
    assertEquals("none", r.trajectory().finetuneEvaluatedOn());
    assertEquals(r.metrics().top1BeforeFinetune(), r.metrics().top1(), 0.0, "evaluated as the strategy left it");
    assertEquals(WeightClipCalibration.mseClip(w, 3),
        e.context().model().parameters().get("b2.conv1.qscale").value()[0], "evaluated with the calibrated clip");

    RunRecord qat = new Harness(List.of()).run(experiment(params(3, 0), qatDir));
    assertEquals(2, qat.trajectory().finetune().size(), "qat: the harness's finetuning is the training");
    assertFalse(Harness.NO_FINETUNING.equals(qat.trajectory().finetuneEvaluatedOn()));
  }

  @Test
  void anInterruptedMseRunResumesToTheSameResult(@TempDir Path full, @TempDir Path split) {
    JsonNode p = params(3, 0).put("calibration", "mse");
    RunRecord uninterrupted = new Harness(List.of()).run(experiment(p, full));
    org.bsq.core.train.TrainingListener crash = new org.bsq.core.train.TrainingListener() {
      @Override
      public void onEpochEnd(org.bsq.core.train.EpochRecord r) {
        if (r.epoch() == 0) {
          throw new IllegalStateException("simulated crash after finetuning epoch 1");
        }
      }
    };
    assertThrows(IllegalStateException.class, () -> new Harness(List.of(crash)).run(experiment(p, split)));
    RunRecord resumed = new Harness(List.of()).run(experiment(p, split));
    assertEquals(uninterrupted.metrics(), resumed.metrics());
    assertEquals(uninterrupted.scheme(), resumed.scheme());
    assertEquals(uninterrupted.trajectory().finetune().get(1).trainLoss(),
        resumed.trajectory().finetune().get(1).trainLoss(), 0.0);
  }
}
