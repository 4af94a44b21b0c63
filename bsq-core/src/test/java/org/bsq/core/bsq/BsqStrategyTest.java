package org.bsq.core.bsq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bsq.core.config.ConfigException;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.finetune.NormalizedWeights;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.param.Parameter;
import org.bsq.core.quant.Precision;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyContract;
import org.bsq.core.strategy.StrategyOutcome;
import org.bsq.core.train.Checkpoint;
import org.bsq.core.train.EpochRecord;
import org.bsq.core.train.LearningRateSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** BSQ behind the strategy SPI: the shared contract plus BSQ's own behaviour. */
class BsqStrategyTest extends StrategyContract {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected QuantizationStrategy strategy() { return new BsqStrategy(); }

  @Override
  protected String registeredName() { return "bsq"; }

  @Override
  protected JsonNode parameters() {
    return JSON.createObjectNode().put("alpha", 0.05).put("learningRate", 0.05).put("recipeEpochs", 2)
        .put("requantizeInterval", 1);
  }

  // ------------------------------------------------------------------------------------------ a learnable problem

  /** The stripes network with ReLU6 + 4-bit activations before the pooling. */
  private static Model stripesModel(long seed) {
    return StripesFixture.model(seed, ActivationSpec.quantized(4));
  }

  private static StrategyContext stripesContext(Model model, double epochs, JsonNode params, Path dir) {
    return new StrategyContext(LayerInventory.of(model.graph()), model, new ReferenceBackend(1),
        StripesFixture.data(32, 8, 3, true), StripesFixture.data(32, 8, 3, false), new SizeOnlyCostModel(),
        new Budget(epochs, 0, 0), 9, params, dir);
  }

  @Test
  void aLargeAlphaDrivesTheAverageBitsWellBelowEight(@TempDir Path dir) {
    ObjectNode params = JSON.createObjectNode().put("alpha", 2.0).put("learningRate", 0.1).put("recipeEpochs", 6)
        .put("requantizeInterval", 2).put("activationBits", 4);
    params.putArray("lrMilestones");
    Model model = stripesModel(1);
    List<String> notes = new java.util.ArrayList<>();
    StrategyContext plain = stripesContext(model, 6, params, dir);
    StrategyContext ctx = new StrategyContext(plain.layers(), plain.model(), plain.backend(), plain.train(),
        plain.validation(), plain.cost(), plain.budget(), plain.seed(), plain.parameters(), plain.workDir(),
        List.of(new org.bsq.core.train.TrainingListener() {
          @Override
          public void onNote(String note) {
            notes.add(note);
          }
        }));
    StrategyOutcome out = new BsqStrategy().run(ctx);
    LayerInventory inv = LayerInventory.of(model.graph());
    double avg = out.scheme().averageBits(inv);
    // the log tells the precision after every re-quantization (before epochs 1, 3, 5 and after the last)
    assertEquals(4, notes.size(), notes.toString());
    assertTrue(notes.get(0).startsWith("bsq: re-quantized before epoch 1: average 8.000 weight bits"), notes.get(0));
    assertTrue(notes.get(1).startsWith("bsq: re-quantized before epoch 3: "), notes.get(1));
    assertTrue(notes.get(3).startsWith(String.format(java.util.Locale.ROOT,
        "bsq: final re-quantization: average %.3f weight bits", ((Map<?, ?>) out.details()
            .get("referenceBookkeeping")).get("averageBits"))), notes.get(3));
    assertTrue(avg < 5.0, "average bits after 6 epochs at alpha 2: " + avg + " " + out.details().get("layerStatistics"));
    // the reference's TB / TP counts the fc bias at its own precision, the scheme at the weight precision
    @SuppressWarnings("unchecked")
    Map<String, Object> reference = (Map<String, Object>) out.details().get("referenceBookkeeping");
    assertEquals(avg, (double) reference.get("averageBits"), 0.05);
    @SuppressWarnings("unchecked")
    List<Double> perEpoch = (List<Double>) out.details().get("averageBitsPerEpoch");
    assertEquals(6, perEpoch.size());
    assertEquals(8.0, perEpoch.get(0), 1e-6, "epoch 0 runs at 8 bits (the epoch-0 adjustment is a no-op)");
    assertTrue(perEpoch.get(5) < perEpoch.get(0), perEpoch.toString());
    assertEquals(6, out.trajectory().size());
    @SuppressWarnings("unchecked")
    List<Double> reg = (List<Double>) out.details().get("regularizerPerEpoch");
    assertEquals(6, reg.size());
    assertTrue(reg.get(5) < reg.get(0), "the regularizer falls: " + reg);
    for (LayerInfo l : inv) {
      assertEquals(4, out.scheme().get(l.name()).activationBits(), l.name());
      assertInstanceOf(NormalizedWeights.class, model.weightSource(l.name()),
          "the harness finetunes from the planes of " + l.name());
    }
    assertFalse(model.parameters().contains(BsqStrategy.AVERAGE_BITS_BUFFER), "bookkeeping buffer removed");
    assertTrue(Files.isDirectory(dir.resolve(BsqStrategy.CHECKPOINT_DIR)));
  }

  @Test
  void schemeIsTheFinalBitRepresentationAndShortcutsStayFloat(@TempDir Path dir) {
    StrategyContext ctx = context(3, dir);
    StrategyOutcome out = strategy().run(ctx);
    for (LayerInfo l : ctx.layers()) {
      int bits = out.scheme().get(l.name()).weightBits();
      if (l.projectionShortcut()) {
        assertEquals(Precision.FULL_BITS, bits, l.name());
      } else {
        BitPlaneWeightSource s = (BitPlaneWeightSource) ctx.model().weightSource(l.name());
        assertEquals(s.bits() == 1 && s.weightPlanes().allZero() ? 0 : s.bits(), bits, l.name());
      }
    }
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> layers = (List<Map<String, Object>>) out.details().get("layers");
    assertEquals(ctx.layers().size() - 1, layers.size(), "every counted layer has statistics");
    for (Map<String, Object> l : layers) {
      assertEquals(l.get("bits"), ((List<?>) l.get("weightNonZeroPercent")).size(), l.toString());
    }
  }

  @Test
  void fractionalBudgetRunsTheRecipesStepsAndScalesItsEvents() {
    BsqStrategy.Parameters p = BsqStrategy.Parameters.defaults();
    BsqStrategy.Plan full = BsqStrategy.Plan.of(p, 350, 391);
    assertEquals(350, full.epochs());
    assertEquals(391, full.stepsPerEpoch());
    assertEquals(List.of(250), full.lrMilestones());
    assertEquals(100, full.requantizeInterval());
    BsqStrategy.Plan tenth = BsqStrategy.Plan.of(p, 35, 391);
    assertEquals(List.of(25), tenth.lrMilestones());
    assertEquals(10, tenth.requantizeInterval());
    assertEquals(350L * 391, full.totalSteps());
    assertEquals(List.of(250L * 391), full.lrMilestoneSteps());
    assertEquals(List.of(0L, 100L * 391, 200L * 391, 300L * 391), full.requantizeBeforeSteps());
    assertFalse(full.stepGranular());
    // scale 0.004: 547 steps (391 + 156), lr drop before step 391, re-quantization every 156 steps and after 547
    BsqStrategy.Plan short14 = BsqStrategy.Plan.of(p, 1.4, 391);
    assertTrue(short14.stepGranular());
    assertEquals(2, short14.epochs());
    assertEquals(547, short14.totalSteps(), "round(1.4 * 391)");
    assertEquals(391, short14.stepsPerEpoch(), "whole epochs but the last");
    assertEquals(List.of(391L), short14.lrMilestoneSteps());
    assertEquals(List.of(0L, 156L, 312L, 468L), short14.requantizeBeforeSteps());
    assertEquals(new LearningRateSchedule.StepMilestones(List.of(391L), 391, 0.1), short14.schedule(0.1));
    BsqStrategy.Plan tiny = BsqStrategy.Plan.of(p, 0.001, 391);
    assertEquals(1, tiny.epochs());
    assertEquals(1, tiny.totalSteps(), "at least one step");
    assertEquals(0, BsqStrategy.Plan.of(p, 0, 391).epochs());
    BsqStrategy.Plan noisy = BsqStrategy.Plan.of(p, 350 * 0.14, 391); // 49.00000000000001
    assertEquals(49, noisy.epochs(), "float noise does not add an epoch");
    assertEquals(391, noisy.stepsPerEpoch());
    assertEquals(List.of(35), noisy.lrMilestones());
    assertEquals(List.of(), tiny.lrMilestoneSteps(), "a milestone at or after the last step never acts");
  }

  @Test
  void fractionalBudgetRunsTheShortenedEpochs(@TempDir Path dir) {
    Model model = stripesModel(2);
    StrategyOutcome out = new BsqStrategy().run(stripesContext(model, 0.5, parameters(), dir));
    assertEquals(1, out.trajectory().size());
    assertEquals(16, out.trajectory().get(0).trainSamples(), "half of the 4 batches of 8");
  }

  @Test
  void zeroBudgetOnlyAdjustsThePrecision(@TempDir Path dir) {
    Model model = stripesModel(2);
    StrategyOutcome out = new BsqStrategy().run(stripesContext(model, 0, null, dir));
    assertTrue(out.trajectory().isEmpty());
    assertEquals(8.0, out.scheme().averageBits(LayerInventory.of(model.graph())), 1e-12);
  }

  @Test
  void anInterruptedRunResumesFromItsCheckpointAndEndsTheSame(@TempDir Path a, @TempDir Path b) throws Exception {
    ObjectNode params = JSON.createObjectNode().put("alpha", 0.5).put("learningRate", 0.05).put("recipeEpochs", 4)
        .put("requantizeInterval", 2).put("clampMode", "reference-compatible");
    StrategyOutcome whole = new BsqStrategy().run(stripesContext(stripesModel(4), 4, params, a));

    // "interrupt": the same BSQ trainer stops after 3 of the 4 epochs, leaving its checkpoint in the work folder
    Path partial = b.resolve("partial");
    Model m2 = stripesModel(4);
    BsqStrategy.Parameters p = BsqStrategy.Parameters.from(params);
    StrategyContext ctx2 = stripesContext(m2, 4, params, partial);
    BsqStrategy.Plan plan = BsqStrategy.Plan.of(p, 4, ctx2.train().batchesPerEpoch());
    BitRepresentation bits = BitRepresentation.install(m2, p.initialBits());
    m2.parameters().add(new Parameter(BsqStrategy.AVERAGE_BITS_BUFFER, new int[] {plan.epochs()},
        org.bsq.core.param.ParameterRole.STRATEGY_BUFFER, new float[plan.epochs()]));
    BsqStrategy.builder(m2, bits, p, plan, ctx2.train(), ctx2.backend(), ctx2.seed(),
        partial.resolve(BsqStrategy.CHECKPOINT_DIR), null, List.of()).build().trainUntil(3);
    assertTrue(Files.isRegularFile(partial.resolve(BsqStrategy.CHECKPOINT_DIR).resolve(Checkpoint.LATEST)
        .resolve(Checkpoint.JSON_FILE)));

    Model fresh = stripesModel(4);
    StrategyOutcome resumed = new BsqStrategy().run(stripesContext(fresh, 4, params, partial));
    assertEquals(whole.scheme(), resumed.scheme());
    assertEquals(whole.trajectory().stream().map(EpochRecord::withoutTimings).toList(),
        resumed.trajectory().stream().map(EpochRecord::withoutTimings).toList());
    assertEquals(whole.details().get("averageBitsPerEpoch"), resumed.details().get("averageBitsPerEpoch"));
    assertEquals(whole.details().get("layers"), resumed.details().get("layers"));
    Model wholeModel = stripesModel(4);
    new BsqStrategy().run(stripesContext(wholeModel, 4, params, b.resolve("again")));
    for (Parameter q : wholeModel.parameters().all()) {
      assertArrayEquals(q.value(), fresh.parameters().get(q.name()).value(), q.name());
    }
  }

  /** 2.75 epochs of 4 batches: 11 steps; recipe of 4 epochs, re-quantization every 1 and lr drop at 2.5. */
  private static ObjectNode stepGranularParameters() {
    ObjectNode params = JSON.createObjectNode().put("alpha", 0.5).put("learningRate", 0.05).put("recipeEpochs", 4)
        .put("requantizeInterval", 1).put("lrGamma", 0.5).put("clampMode", "reference-compatible")
        .put("checkpointEverySteps", 1);
    params.putArray("lrMilestones").add(2.5);
    return params;
  }

  @Test
  void aFractionalBudgetActsAtStepsInsideEpochs(@TempDir Path dir) {
    Model model = stripesModel(4);
    List<String> notes = new java.util.ArrayList<>();
    StrategyContext plain = stripesContext(model, 2.75, stepGranularParameters(), dir);
    StrategyContext ctx = new StrategyContext(plain.layers(), plain.model(), plain.backend(), plain.train(),
        plain.validation(), plain.cost(), plain.budget(), plain.seed(), plain.parameters(), plain.workDir(),
        List.of(new org.bsq.core.train.TrainingListener() {
          @Override
          public void onNote(String note) {
            notes.add(note);
          }
        }));
    StrategyOutcome out = new BsqStrategy().run(ctx);
    BsqStrategy.Plan plan = (BsqStrategy.Plan) out.details().get("plan");
    assertEquals(11, plan.totalSteps());
    assertEquals(List.of(0L, 3L, 6L, 9L), plan.requantizeBeforeSteps(), "every round(11 / 4) = 3 steps");
    assertEquals(List.of(7L), plan.lrMilestoneSteps(), "round(2.5 / 4 * 11)");
    assertEquals(3, out.trajectory().size());
    assertEquals(List.of(32L, 32L, 24L), out.trajectory().stream().map(EpochRecord::trainSamples).toList(),
        "4 + 4 + 3 batches of 8");
    assertEquals(List.of(0.05, 0.05, 0.025), out.trajectory().stream().map(EpochRecord::learningRate).toList(),
        "the rate at each epoch's first step: the drop is before step 7, inside epoch 1, so epoch 2 starts low");
    assertEquals(5, notes.size(), notes.toString());
    assertTrue(notes.get(0).startsWith("bsq: re-quantized before epoch 1:"), notes.get(0));
    assertTrue(notes.get(1).startsWith("bsq: re-quantized before step 3 (in epoch 1):"), notes.get(1));
    assertTrue(notes.get(2).startsWith("bsq: re-quantized before step 6 (in epoch 2):"), notes.get(2));
    assertTrue(notes.get(3).startsWith("bsq: re-quantized before step 9 (in epoch 3):"), notes.get(3));
    assertTrue(notes.get(4).startsWith("bsq: final re-quantization:"), notes.get(4));
  }

  @ParameterizedTest
  @ValueSource(longs = {5, 6, 7})
  void aRunInterruptedInsideAnEpochResumesAtItsStepAndEndsTheSame(long interruptAt, @TempDir Path a,
      @TempDir Path b) {
    ObjectNode params = stepGranularParameters();
    StrategyOutcome whole = new BsqStrategy().run(stripesContext(stripesModel(4), 2.75, params, a));

    // "interrupt" the step with global index interruptAt (5: between events; 6: just before re-quantizing; 7: just
    // before the lr drop); the checkpoint after the previous step remains
    Path partial = b.resolve("partial");
    Model m2 = stripesModel(4);
    BsqStrategy.Parameters p = BsqStrategy.Parameters.from(params);
    StrategyContext ctx2 = stripesContext(m2, 2.75, params, partial);
    BsqStrategy.Plan plan = BsqStrategy.Plan.of(p, 2.75, ctx2.train().batchesPerEpoch());
    BitRepresentation bits = BitRepresentation.install(m2, p.initialBits());
    m2.parameters().add(new Parameter(BsqStrategy.AVERAGE_BITS_BUFFER, new int[] {plan.epochs()},
        org.bsq.core.param.ParameterRole.STRATEGY_BUFFER, new float[plan.epochs()]));
    org.bsq.core.train.StepHook interrupt = step -> {
      if (step.globalStep() == interruptAt) {
        throw new IllegalStateException("interrupted");
      }
    };
    org.bsq.core.train.Trainer trainer = BsqStrategy.builder(m2, bits, p, plan, ctx2.train(), ctx2.backend(),
        ctx2.seed(), partial.resolve(BsqStrategy.CHECKPOINT_DIR), interrupt, List.of()).build();
    assertThrows(IllegalStateException.class, trainer::train);
    assertEquals(interruptAt, Checkpoint.read(partial.resolve(BsqStrategy.CHECKPOINT_DIR)).state().globalStep());

    Model fresh = stripesModel(4);
    StrategyOutcome resumed = new BsqStrategy().run(stripesContext(fresh, 2.75, params, partial));
    assertEquals(whole.scheme(), resumed.scheme());
    assertEquals(whole.trajectory().stream().map(EpochRecord::withoutTimings).toList(),
        resumed.trajectory().stream().map(EpochRecord::withoutTimings).toList());
    assertEquals(whole.details().get("averageBitsPerEpoch"), resumed.details().get("averageBitsPerEpoch"));
    assertEquals(whole.details().get("layers"), resumed.details().get("layers"));
    Model wholeModel = stripesModel(4);
    new BsqStrategy().run(stripesContext(wholeModel, 2.75, params, b.resolve("again")));
    for (Parameter q : wholeModel.parameters().all()) {
      assertArrayEquals(q.value(), fresh.parameters().get(q.name()).value(), q.name());
    }
  }

  @Test
  void badParametersAreAllReported(@TempDir Path dir) {
    ObjectNode bad = JSON.createObjectNode().put("alpha", -1).put("initialBits", 0).put("maxBits", 17)
        .put("learningRate", 0).put("momentum", 1.5).put("weightDecay", -1).put("recipeEpochs", 0)
        .put("lrGamma", 0).put("requantizeInterval", -3).put("pruningThreshold", 101).put("clampMode", "all")
        .put("activationBits", 20).put("evaluateEvery", -1).put("checkpointEverySteps", -2);
    bad.putArray("lrMilestones").add(0).add(10);
    StrategyContext ctx = stripesContext(stripesModel(1), 1, bad, dir);
    ConfigException e = assertThrows(ConfigException.class, () -> new BsqStrategy().run(ctx));
    List<String> problems = e.problems();
    for (String key : List.of("alpha", "initialBits", "maxBits", "learningRate", "momentum", "weightDecay",
        "recipeEpochs", "lrMilestones[0]", "lrGamma", "requantizeInterval", "pruningThreshold", "clampMode",
        "activationBits", "evaluateEvery", "checkpointEverySteps")) {
      assertTrue(problems.stream().anyMatch(pr -> pr.startsWith(key + ":")), key + " in " + problems);
    }
    assertEquals(15, problems.size(), problems.toString());
    assertFalse(ctx.model().parameters().contains("conv1.pweight"), "nothing installed on bad parameters");

    ObjectNode unknown = JSON.createObjectNode().put("alpah", 0.1).put("maxBits", "eight");
    ConfigException e2 = assertThrows(ConfigException.class,
        () -> new BsqStrategy().run(stripesContext(stripesModel(1), 1, unknown, dir)));
    assertEquals(2, e2.problems().size(), e2.problems().toString());
    assertTrue(e2.problems().get(0).startsWith("alpah: unknown key"), e2.problems().toString());
  }

  @Test
  void defaultsAreThePaperRecipe() {
    BsqStrategy.Parameters p = BsqStrategy.Parameters.from(null);
    assertEquals(BsqStrategy.Parameters.defaults(), p);
    assertEquals(5e-3, p.alpha());
    assertEquals(8, p.initialBits());
    assertEquals(8, p.maxBits());
    assertEquals(0.1, p.learningRate());
    assertEquals(0.9, p.momentum());
    assertEquals(1e-4, p.weightDecay());
    assertEquals(350, p.recipeEpochs());
    assertEquals(List.of(250.0), p.lrMilestones());
    assertEquals(0.1, p.lrGamma());
    assertEquals(100, p.requantizeInterval());
    assertEquals(0.0, p.pruningThreshold());
    assertEquals(PlaneClampHook.Mode.BIT_PLANES, p.clamp());
    assertTrue(p.resetAllOptimizerState());
    assertEquals(4, p.activationBits());
    assertEquals(p, BsqStrategy.Parameters.from(JSON.createObjectNode()));
  }
}
