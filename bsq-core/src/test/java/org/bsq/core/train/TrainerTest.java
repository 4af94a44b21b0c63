package org.bsq.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.param.Parameter;
import org.junit.jupiter.api.Test;

class TrainerTest {
  private static final Backend BACKEND = new ReferenceBackend(1);

  private static InMemoryBatchSource train() { return TrainFixtures.stripes("stripes/train", 64, 10, 11, true); }

  private static InMemoryBatchSource test() { return TrainFixtures.stripes("stripes/test", 40, 16, 12, false); }

  private static TrainingConfig config(int epochs) {
    return TrainingConfig.of(epochs, SgdSettings.of(0.1, 0.9, 1e-4), LearningRateSchedule.step(0.1, 4), 5);
  }

  @Test
  void learnsTheTinyProblemAndRecordsHistory() {
    Model model = TrainFixtures.tinyConvModel(3);
    List<StepResult> steps = new ArrayList<>();
    List<EpochStart> starts = new ArrayList<>();
    TrainingListener recorder = new TrainingListener() {
      @Override public void onStepEnd(StepResult step) { steps.add(step); }

      @Override public void onEpochStart(EpochStart start) { starts.add(start); }
    };
    InMemoryBatchSource testSource = test();
    EvaluationResult before = Evaluator.evaluate(BACKEND, model, testSource);
    TrainingResult r = Trainer.builder(BACKEND, model, config(6), train()).evaluation(testSource).listener(recorder)
        .build().train();

    assertEquals(6, r.history().size());
    assertEquals(6, r.completedEpochs());
    assertEquals(6 * 7, r.steps(), "64 samples in batches of 10: 7 steps per epoch, the last with 4 samples");
    assertEquals(6 * 7, steps.size());
    assertEquals(4, steps.get(6).samples());
    assertEquals(64, r.history().get(0).trainSamples());
    EpochRecord first = r.history().get(0);
    EpochRecord last = r.history().get(5);
    assertTrue(last.trainLoss() < 0.5 * first.trainLoss(), "train loss " + first.trainLoss() + " -> " + last.trainLoss());
    assertTrue(last.testTop1() >= 0.9, "test top-1 " + last.testTop1());
    assertTrue(last.testLoss() < before.loss(), "test loss " + before.loss() + " -> " + last.testLoss());
    assertEquals(2, last.evaluation().topK());
    assertEquals(1.0, last.testTop5());
    assertEquals(0.1, first.learningRate());
    assertEquals(0.1 * 0.1, r.history().get(4).learningRate(), 1e-15);
    assertEquals(0.1 * 0.1, starts.get(4).learningRate(), 1e-15);
    assertEquals(r.history().get(5).evaluation(), r.finalEvaluation());
    assertTrue(r.bestEpoch() >= 0);
    for (StepResult s : steps) {
      assertEquals(s.loss(), s.objective(), "no loss terms");
      assertTrue(s.terms().isEmpty());
    }
  }

  @Test
  void lossTermEqualsWeightDecayBitwise() {
    // An L2 term lambda/2 * |p|^2 adds lambda * p to each gradient, exactly what weight decay adds: same float ops.
    Model a = TrainFixtures.tinyConvModel(4);
    Model b = TrainFixtures.tinyConvModel(4);
    TrainingConfig withDecay = TrainingConfig.of(2, SgdSettings.of(0.05, 0.9, 0.01), LearningRateSchedule.constant(), 1);
    TrainingConfig noDecay = TrainingConfig.of(2, SgdSettings.of(0.05, 0.9, 0), LearningRateSchedule.constant(), 1);
    TrainFixtures.L2Term term = new TrainFixtures.L2Term(0.01f);
    List<StepResult> steps = new ArrayList<>();
    Trainer.builder(BACKEND, a, withDecay, train()).build().train();
    Trainer.builder(BACKEND, b, noDecay, train()).lossTerm(term).listener(new TrainingListener() {
      @Override public void onStepEnd(StepResult step) { steps.add(step); }
    }).build().train();
    for (Parameter p : a.parameters().all()) {
      assertArrayEquals(p.value(), b.parameters().get(p.name()).value(), p.name());
    }
    assertEquals(14, term.calls);
    StepResult s = steps.get(0);
    assertTrue(s.terms().get("l2") > 0);
    assertEquals(s.loss() + s.terms().get("l2"), s.objective(), 1e-12);
  }

  @Test
  void stepHookRunsAfterEveryStep() {
    Model model = TrainFixtures.tinyConvModel(5);
    TrainFixtures.ClampHook clamp = new TrainFixtures.ClampHook("fc.weight", 0.05f);
    Trainer.builder(BACKEND, model, config(2), train()).stepHook(clamp).build().train();
    assertEquals(14, clamp.calls);
    for (float v : model.parameters().get("fc.weight").value()) {
      assertTrue(Math.abs(v) <= 0.05f, "clamped value " + v);
    }
  }

  @Test
  void epochHookReplacesAParameterAndItsOptimizerStateIsReset() {
    Model model = TrainFixtures.tinyConvModel(6);
    TrainFixtures.ScaledFcHook hook = new TrainFixtures.ScaledFcHook(2);
    List<float[]> scaleMomentumAtEpochStart = new ArrayList<>();
    Trainer[] trainer = new Trainer[1];
    trainer[0] = Trainer.builder(BACKEND, model, config(3), train()).evaluation(test()).epochHook(hook)
        .listener(new TrainingListener() {
          @Override public void onEpochStart(EpochStart start) {
            scaleMomentumAtEpochStart.add(trainer[0].optimizer().momentumBuffer("fc.s"));
          }
        }).build();
    float[] fcWeightBefore = model.parameters().get("fc.weight").value().clone();
    TrainingResult r = trainer[0].train();
    assertEquals(3, scaleMomentumAtEpochStart.size());
    assertEquals(null, scaleMomentumAtEpochStart.get(0));
    assertEquals(1, scaleMomentumAtEpochStart.get(1).length, "after epoch 0 fc.s has a momentum buffer");
    assertEquals(null, scaleMomentumAtEpochStart.get(2), "replaced by the hook before epoch 2: state reset");
    assertEquals(2, model.parameters().get("fc.s").size());
    assertEquals(2, trainer[0].optimizer().momentumBuffer("fc.s").length);
    assertTrue(!Arrays.equals(fcWeightBefore, model.parameters().get("fc.v").value()), "fc.v is trained");
    assertTrue(r.history().get(2).testTop1() >= 0.8, "training through the weight source works: "
        + r.history().get(2).testTop1());
  }

  @Test
  void nonFiniteLossNamesEpochAndStep() {
    Model model = TrainFixtures.tinyConvModel(7);
    TrainingConfig config = TrainingConfig.of(3, SgdSettings.of(0.1, 0.9, 0), LearningRateSchedule.constant(), 1);
    TrainingListener poison = new TrainingListener() {
      @Override public void onStepEnd(StepResult step) {
        if (step.epoch() == 1 && step.step() == 2) {
          model.parameters().get("fc.bias").value()[0] = Float.NaN;
        }
      }
    };
    Trainer trainer = Trainer.builder(BACKEND, model, config, train()).listener(poison).build();
    IllegalStateException e = assertThrows(IllegalStateException.class, trainer::train);
    assertTrue(e.getMessage().startsWith("training loss must be finite, was NaN at epoch 1 step 3"), e.getMessage());
  }

  @Test
  void rejectsMismatchedSources() {
    Model model = TrainFixtures.tinyConvModel(8);
    InMemoryBatchSource wrong = new InMemoryBatchSource("wrong", new float[4 * 36 * 2], new int[4], 2, 6, 6, 2, 2, 0,
        false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Trainer.builder(BACKEND, model, config(1), wrong).build());
    assertEquals("training source 'wrong' images must be 1x6x6 as the model's input, was 2x6x6", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Trainer.builder(BACKEND, model, config(1).withKeepBest(true), train()).build());
  }

  @Test
  void keepBestRestoresTheBestEpoch() {
    Model model = TrainFixtures.tinyConvModel(9);
    // a large constant learning rate makes later epochs worse than some earlier one now and then; whatever happens,
    // the returned model must be the best-evaluated one
    TrainingConfig config = TrainingConfig.of(5, SgdSettings.of(0.1, 0.9, 0), LearningRateSchedule.constant(), 1)
        .withKeepBest(true);
    InMemoryBatchSource testSource = test();
    TrainingResult r = Trainer.builder(BACKEND, model, config, train()).evaluation(testSource).build().train();
    assertNotNull(r.bestEvaluation());
    double bestTop1 = r.history().stream().mapToDouble(EpochRecord::testTop1).max().orElseThrow();
    assertEquals(bestTop1, r.bestEvaluation().top1());
    assertEquals(r.bestEvaluation(), r.finalEvaluation());
    EvaluationResult now = Evaluator.evaluate(BACKEND, model, testSource);
    assertEquals(r.bestEvaluation().withoutTimings(), now.withoutTimings());
  }

  /** Records the global steps it acted before; acts before steps 10 and 17 (inside epochs of 7 batches). */
  private static final class StepEvents implements EpochHook {
    final List<Long> actedBefore = new ArrayList<>();

    @Override
    public boolean actsBeforeStep(long globalStep) { return globalStep == 10 || globalStep == 17; }

    @Override
    public void beforeStep(EpochContext context) {
      actedBefore.add(context.globalStep());
      context.optimizer().resetAll();
      context.parameters().all().iterator().next().value()[0] *= 0.5f;
    }
  }

  @Test
  void totalStepsCutTheLastEpochAndHooksActBeforeStepsInsideEpochsAlsoAfterAResume(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    LearningRateSchedule schedule = new LearningRateSchedule.StepMilestones(List.of(12L), 7, 0.1);
    TrainingConfig c = TrainingConfig.of(3, SgdSettings.of(0.1, 0.9, 1e-4), schedule, 5).withSchedulePerStep(true)
        .withTotalSteps(19);
    assertThrows(IllegalArgumentException.class,
        () -> Trainer.builder(BACKEND, TrainFixtures.tinyConvModel(3), c.withTotalSteps(14), train()).build(),
        "19 steps of 7 per epoch end in the third epoch, 14 in the second");
    Model whole = TrainFixtures.tinyConvModel(3);
    StepEvents wholeEvents = new StepEvents();
    List<StepResult> steps = new ArrayList<>();
    TrainingResult r = Trainer.builder(BACKEND, whole, c, train()).epochHook(wholeEvents)
        .listener(new TrainingListener() {
          @Override public void onStepEnd(StepResult step) { steps.add(step); }
        }).build().train();
    assertEquals(19, r.steps());
    assertEquals(List.of(64L, 64L, 50L), r.history().stream().map(EpochRecord::trainSamples).toList());
    assertEquals(List.of(10L, 17L), wholeEvents.actedBefore);
    assertEquals(0.1, steps.get(11).learningRate());
    assertEquals(0.1 * 0.1, steps.get(12).learningRate(), 1e-15);

    for (long interruptAt : List.of(9L, 10L, 12L, 15L)) {
      java.nio.file.Path cps = dir.resolve("at" + interruptAt);
      TrainingConfig withCheckpoints = c.withCheckpoints(cps, 1, 1);
      Trainer first = Trainer.builder(BACKEND, TrainFixtures.tinyConvModel(3), withCheckpoints, train())
          .epochHook(new StepEvents()).stepHook(step -> {
            if (step.globalStep() == interruptAt) {
              throw new IllegalStateException("interrupted");
            }
          }).build();
      assertThrows(IllegalStateException.class, first::train);
      Model resumedModel = TrainFixtures.tinyConvModel(3);
      StepEvents resumedEvents = new StepEvents();
      TrainingResult resumed = Trainer.builder(BACKEND, resumedModel, withCheckpoints, train())
          .epochHook(resumedEvents).build().resume(cps);
      assertEquals(wholeEvents.actedBefore.stream().filter(s -> s >= interruptAt).toList(),
          resumedEvents.actedBefore, "interrupted at " + interruptAt);
      assertEquals(r.history().stream().map(EpochRecord::withoutTimings).toList(),
          resumed.history().stream().map(EpochRecord::withoutTimings).toList(), "interrupted at " + interruptAt);
      for (Parameter p : whole.parameters().all()) {
        assertArrayEquals(p.value(), resumedModel.parameters().get(p.name()).value(), p.name() + " " + interruptAt);
      }
    }
  }
}
