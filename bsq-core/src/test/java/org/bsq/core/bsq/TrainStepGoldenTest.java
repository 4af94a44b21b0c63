package org.bsq.core.bsq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.MaskPin;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.param.Parameter;
import org.bsq.core.train.EpochRecord;
import org.bsq.core.train.InMemoryBatchSource;
import org.bsq.core.train.StepResult;
import org.bsq.core.train.Trainer;
import org.bsq.core.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden 08: one official training step of {@code cifar_prune_STE.py} on the pretrained ResNet-20 in 8-bit bit
 * representation (4-bit ReLU6 activations in the blocks), 8 random images, alpha 0.01, SGD lr 0.1 / momentum 0.9 /
 * weight decay 1e-4 on every parameter, and the reference-compatible clamp, run through the BSQ strategy's own trainer
 * wiring on the reference backend. Losses and logits are compared relatively at 1e-4, the checksums of every one of
 * the 107 parameters (gradient, after the step, after the clamp) and the BN buffers at 1e-5, as the golden README
 * states.
 *
 * <p><b>The one pinned decision.</b> Two elements of the tensor entering {@code layer1.1.act2} (bn2 output plus a zero
 * residual; flat indices 47937 and 113244) are a batch-norm output that cancels to about zero: +8.5e-9 for both in
 * exact arithmetic over the same float32 data (a float64 evaluation), +2.5e-7 / +1.4e-7 in PyTorch 1.13 float32 on
 * an AVX2 machine, -1.4e-8 / -1.4e-8 here. Either way the forward output there is quantization level 0, so the
 * logits do not see it, but the ReLU6 backward mask does: the gradient passes where the value is positive. The golden
 * file's generator zeroed 47937 and passed 113244 (its float rounding); found by re-running the step with the same
 * Debian PyTorch build ({@code bsq-bench/tools/golden08_pytorch_rerun.py}): with that one mask decision, a PyTorch
 * re-implementation matches every gradient of the golden to 3.4e-6, and without it the stem and stage-1 gradients
 * differ by up to 2.4e-3 (2.2e-3 for ours, which zeroes both). {@link #oneTrainingStepInCompatibilityMode} pins those two decisions as the golden's generator made them
 * ({@link MaskPin}, which refuses to pin anything farther than 1e-6 from a boundary) and then matches everything;
 * {@link #withoutPinsOnlyTheLayersBeforeTheNearZeroElementsDiffer} shows what our own rounding gives.
 *
 * <p>With the pins, the worst checksum differences are 2.7e-6 (gradients, layer1.2.conv1 planes) and 2.0e-6 (values).
 *
 * <p><b>Not compared:</b> {@code eval_mode_logits_bit_model_after_step}. After this step (the compatibility clamp
 * zeroes most downsample BN biases) the eval-mode network sits on many quantization near-ties: a float64 evaluation of
 * the very same step differs from the golden by up to 0.79 in these logits, while a PyTorch float32 re-run on the
 * golden generator's build matches them exactly; they record float32 rounding, not BSQ. Nor the per-block activation
 * checksums (the engine does not expose intermediate tensors; the train-mode logits agree). Skips when the pretrained
 * weights are absent.
 */
class TrainStepGoldenTest {
  private static final JsonNode G = Golden.file("08_train_step.json");
  private static final float[] MEAN = {0.4914f, 0.4822f, 0.4465f};
  private static final float[] STD = {0.2023f, 0.1994f, 0.2010f};
  private static final double LOGIT_TOL = 1e-4;
  private static final double CHECKSUM_TOL = 1e-5;
  /**
   * Without the pins: the gradients of the layers before {@code layer1.1.act2} (stem, layer1.0, layer1.1), measured
   * worst 2.2e-3 (layer1.1.bn2.bias); their values after the step 5.6e-4. Every other parameter stays at 1e-5.
   */
  private static final double UPSTREAM_GRAD_TOL = 5e-3;
  private static final double UPSTREAM_VALUE_TOL = 1e-3;
  /**
   * Scale gradients, absolute: sum(q * dL/dW) over a whole layer cancels to ~1e-6 in most layers, so a relative
   * comparison means nothing, and the golden's own value carries float32 summation noise of that size: the same step in
   * float64 differs from it by up to 8.2e-6 (layer1.0.conv1.scale), with the pins applied. Ours (double sums) is
   * within 1e-5; the step moves a scale by lr times this.
   */
  private static final double SCALE_GRAD_ABS_TOL = 1e-5;
  private static final double SCALE_GRAD_ABS_TOL_UNPINNED = 2e-5;
  /** The golden generator's mask decisions at the two near-zero elements (see the class comment). */
  static final List<MaskPin> GOLDEN_PINS = List.of(
      new MaskPin("layer1.1.act2", 47937, false, 1e-6f),
      new MaskPin("layer1.1.act2", 113244, true, 1e-6f));

  /** The 8 images, normalized as ToTensor + Normalize in float32. */
  static float[] input() {
    byte[] u8 = Base64.getDecoder().decode(G.get("input_batch").get("images_uint8_base64").asText());
    float[] x = new float[u8.length];
    int plane = 32 * 32;
    for (int i = 0; i < u8.length; i++) {
      int c = (i / plane) % 3;
      x[i] = ((float) (u8[i] & 0xff) / 255f - MEAN[c]) / STD[c];
    }
    return x;
  }

  static int[] labels() {
    JsonNode l = G.get("input_batch").get("labels");
    int[] y = new int[l.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = l.get(i).asInt();
    }
    return y;
  }

  private static float[] forward(Model model, float[] x, boolean train) {
    try (CompiledNetwork net = new ReferenceBackend(1).compile(model, 8)) {
      return net.forward(x, train).clone();
    }
  }

  @Test
  void inputAndLogitsOfTheFloatAndBitModels() {
    Model model = ResNet20Fixture.pretrained();
    float[] x = input();
    assertEquals(24576, x.length);
    Golden.assertBitwise(Golden.tensor(G.get("input_batch").get("x_first_8_values")), java.util.Arrays.copyOf(x, 8),
        "normalized input");
    assertChecksum(G.get("input_batch").get("x_checksum"), x, 1e-9, "input");
    Golden.assertRelative(Golden.tensor(G.get("eval_mode_logits_float_model")), forward(model, x, false), LOGIT_TOL,
        "float model eval logits");
    BitRepresentation.install(model, 8);
    Golden.assertRelative(Golden.tensor(G.get("eval_mode_logits_bit_model_before_step")), forward(model, x, false),
        LOGIT_TOL, "bit model eval logits before the step");
    Golden.assertRelative(Golden.tensor(G.get("train_step").get("train_mode_logits")), forward(model, x, true),
        LOGIT_TOL, "bit model train-mode logits");
  }

  /** The model and what one compatibility-mode step on the golden batch gave. */
  private record Step(Model model, Map<String, float[]> grads, Map<String, float[]> afterStep, EpochRecord record,
      StepResult result) {}

  private static Step runStep(ReferenceBackend backend, Path dir) {
    Model model = ResNet20Fixture.pretrained();
    BitRepresentation bits = BitRepresentation.install(model, 8);
    assertEquals((long) G.get("TP").asDouble(), bits.totalParams());
    assertEquals((long) G.get("TB").asDouble(), bits.totalBits());
    JsonNode step = G.get("train_step");
    assertEquals(Golden.scalar(step.get("reg")), new BitLassoRegularizer(bits, 0.01).regularizer(),
        1e-6 * Golden.scalar(step.get("reg")), "R before the step");

    ObjectNode json = JsonNodeFactory.instance.objectNode().put("alpha", 0.01).put("learningRate", 0.1)
        .put("momentum", 0.9).put("weightDecay", 1e-4).put("initialBits", 8).put("maxBits", 8)
        .put("requantizeInterval", 100).put("recipeEpochs", 350).put("pruningThreshold", 0.0)
        .put("clampMode", BsqStrategy.CLAMP_REFERENCE_COMPATIBLE);
    BsqStrategy.Parameters p = BsqStrategy.Parameters.from(json);
    InMemoryBatchSource source = new InMemoryBatchSource("golden08", input(), labels(), 3, 32, 32, 10, 8, 0, false);
    // two one-step epochs, of which only the first runs: the final re-quantization must not run here
    BsqStrategy.Plan plan = BsqStrategy.Plan.of(p, 2, source.batchesPerEpoch());
    model.parameters().add(new Parameter(BsqStrategy.AVERAGE_BITS_BUFFER, new int[] {plan.epochs()},
        org.bsq.core.param.ParameterRole.STRATEGY_BUFFER, new float[plan.epochs()]));
    Map<String, float[]> grads = new HashMap<>();
    Map<String, float[]> afterStep = new HashMap<>();
    StepResult[] result = new StepResult[1];
    Trainer trainer = BsqStrategy.builder(model, bits, p, plan, source, backend, 1, dir, s -> {
      for (Parameter q : s.parameters().trainable()) {
        grads.put(q.name(), q.grad().clone());
        afterStep.put(q.name(), q.value().clone());
      }
    }, List.of()).listener(new TrainingListener() {
      @Override
      public void onStepEnd(StepResult s) {
        result[0] = s;
      }
    }).build();
    trainer.trainUntil(1);
    return new Step(model, grads, afterStep, trainer.history().get(0), result[0]);
  }

  @Test
  void oneTrainingStepInCompatibilityMode(@TempDir Path dir) {
    Step s = runStep(new ReferenceBackend(1, GOLDEN_PINS), dir);
    assertLosses(s);
    List<String> report = compareParameters(s, false);
    assertTrue(report.isEmpty(), "checksums beyond their tolerance:\n" + String.join("\n", report));
  }

  @Test
  void withoutPinsOnlyTheLayersBeforeTheNearZeroElementsDiffer(@TempDir Path dir) {
    Step s = runStep(new ReferenceBackend(1), dir);
    assertLosses(s);
    List<String> report = compareParameters(s, true);
    assertTrue(report.isEmpty(), "checksums beyond their tolerance:\n" + String.join("\n", report));
  }

  @Test
  void aPinFarFromAClippingBoundaryIsRefused(@TempDir Path dir) {
    // element 0 of layer1.0.act2's input is nowhere near 0 or 6 on this batch
    ReferenceBackend backend = new ReferenceBackend(1, List.of(new MaskPin("layer1.0.act2", 0, true, 1e-6f)));
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> runStep(backend, dir));
    assertTrue(e.getMessage().contains("must sit within"), e.getMessage());
  }

  private static void assertLosses(Step s) {
    JsonNode step = G.get("train_step");
    assertRelative(Golden.scalar(step.get("ce_loss")), s.record().trainLoss(), LOGIT_TOL, "cross-entropy");
    assertRelative(Golden.scalar(step.get("decay_reg_over_TP")), s.result().terms().get("bsq-group-lasso"),
        LOGIT_TOL, "alpha * R / TP");
    assertRelative(Golden.scalar(step.get("total_loss")), s.record().trainObjective(), LOGIT_TOL, "total loss");
  }

  /**
   * Every parameter's gradient, value after the step and value after the clamp, and the BN buffers, against the
   * golden checksums; with {@code unpinned}, the parameters before {@code layer1.1.act2} get the looser tolerances.
   */
  private static List<String> compareParameters(Step s, boolean unpinned) {
    List<String> report = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> it = G.get("all_parameters").fields();
    int compared = 0;
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey().substring("module.".length());
      JsonNode c = e.getValue();
      assertTrue(s.model().parameters().contains(name), "parameter " + name);
      boolean upstream = unpinned && (name.startsWith("conv1.") || name.startsWith("bn1.")
          || name.startsWith("layer1.0.") || name.startsWith("layer1.1."));
      if (name.endsWith("scale")) {
        double g = s.grads().get(name)[0];
        double expected = c.get("grad").get("sum").asDouble();
        if (Math.abs(g - expected) > (unpinned ? SCALE_GRAD_ABS_TOL_UNPINNED : SCALE_GRAD_ABS_TOL)) {
          report.add(name + " grad: expected " + expected + ", was " + g);
        }
      } else {
        compare(c.get("grad"), s.grads().get(name), name + " grad", upstream ? UPSTREAM_GRAD_TOL : CHECKSUM_TOL,
            report);
      }
      double valueTol = upstream ? UPSTREAM_VALUE_TOL : CHECKSUM_TOL;
      compare(c.get("after_step_before_clamp"), s.afterStep().get(name), name + " after step", valueTol, report);
      compare(c.get("after_clamp"), s.model().parameters().get(name).value(), name + " after clamp", valueTol, report);
      compared++;
    }
    assertEquals(107, compared);
    Iterator<Map.Entry<String, JsonNode>> bn = G.get("bn_buffers_after_step").fields();
    while (bn.hasNext()) {
      Map.Entry<String, JsonNode> e = bn.next();
      if (e.getValue().isObject()) {
        compare(e.getValue(), s.model().parameters().get(e.getKey()).value(), e.getKey(), CHECKSUM_TOL, report);
      }
    }
    return report;
  }

  private static void assertRelative(double expected, double actual, double rel, String what) {
    assertEquals(expected, actual, rel * Math.abs(expected), what);
  }

  /**
   * Compares a checksum; sums are compared relative to the sum of absolute values (a gradient's sum cancels), the
   * squares, absolute sums and extremes relative to their own size. Returns the worst relative difference.
   */
  private static double compare(JsonNode c, float[] v, String what, double tol, List<String> report) {
    double[] s = checksum(v);
    double scale = Math.max(c.get("sum_abs").asDouble(), 1e-30);
    double ext = Math.max(Math.max(Math.abs(c.get("min").asDouble()), Math.abs(c.get("max").asDouble())), 1e-30);
    double[] rel = {
        Math.abs(s[0] - c.get("sum").asDouble()) / scale,
        Math.abs(s[1] - c.get("sum_sq").asDouble()) / Math.max(c.get("sum_sq").asDouble(), 1e-30),
        Math.abs(s[2] - c.get("sum_abs").asDouble()) / scale,
        Math.abs(s[3] - c.get("min").asDouble()) / ext,
        Math.abs(s[4] - c.get("max").asDouble()) / ext};
    double worst = 0;
    for (double r : rel) {
      worst = Math.max(worst, r);
    }
    if (c.get("numel").asInt() != v.length || worst > tol) {
      report.add(String.format(Locale.ROOT, "%s: rel sum %.2e sum_sq %.2e sum_abs %.2e min %.2e max %.2e"
          + " (sum %s vs %s)", what, rel[0], rel[1], rel[2], rel[3], rel[4], s[0], c.get("sum").asDouble()));
    }
    return worst;
  }

  private static void assertChecksum(JsonNode c, float[] v, double tol, String what) {
    double[] s = checksum(v);
    String[] keys = {"sum", "sum_sq", "sum_abs", "min", "max"};
    for (int i = 0; i < keys.length; i++) {
      double e = c.get(keys[i]).asDouble();
      assertEquals(e, s[i], tol * Math.max(Math.abs(e), 1), what + " " + keys[i]);
    }
  }

  /** {sum, sum_sq, sum_abs, min, max} in double over the float32 values. */
  private static double[] checksum(float[] v) {
    double sum = 0;
    double sq = 0;
    double abs = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (float f : v) {
      sum += f;
      sq += (double) f * f;
      abs += Math.abs(f);
      min = Math.min(min, f);
      max = Math.max(max, f);
    }
    return new double[] {sum, sq, abs, min, max};
  }
}
