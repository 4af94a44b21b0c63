package org.bsq.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.param.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance tests: a resumed run ends exactly where an uninterrupted one does. */
class ResumeTest {
  private static final Backend BACKEND = new ReferenceBackend(1);

  @TempDir
  Path tmp;

  private static InMemoryBatchSource train() { return TrainFixtures.stripes("stripes/train", 50, 8, 21, true); }

  private static InMemoryBatchSource test() { return TrainFixtures.stripes("stripes/test", 20, 8, 22, false); }

  private static void assertSameState(Trainer expected, Trainer actual) {
    for (Parameter p : expected.model().parameters().all()) {
      float[] a = p.value();
      float[] b = actual.model().parameters().get(p.name()).value();
      assertEquals(a.length, b.length, p.name());
      for (int i = 0; i < a.length; i++) {
        assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), p.name() + "[" + i + "]");
      }
    }
    assertEquals(expected.model().parameters().size(), actual.model().parameters().size());
    assertEquals(expected.optimizer().stateNames(), actual.optimizer().stateNames());
    for (String name : expected.optimizer().stateNames()) {
      float[] a = expected.optimizer().momentumBuffer(name);
      float[] b = actual.optimizer().momentumBuffer(name);
      for (int i = 0; i < a.length; i++) {
        assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "momentum " + name + "[" + i + "]");
      }
    }
  }

  @Test
  void twoEpochsEqualOneEpochCheckpointAndResume() {
    TrainingConfig base = TrainingConfig.of(2, SgdSettings.of(0.1, 0.9, 1e-4), LearningRateSchedule.cosine(2, 0.01),
        31).withKeepBest(true);

    Trainer uninterrupted = Trainer.builder(BACKEND, TrainFixtures.tinyConvModel(5),
        base.withCheckpoints(tmp.resolve("a"), 1, 0), train()).evaluation(test()).build();
    TrainingResult expected = uninterrupted.train();

    Path dir = tmp.resolve("b");
    Trainer first = Trainer.builder(BACKEND, TrainFixtures.tinyConvModel(5), base.withCheckpoints(dir, 1, 0), train())
        .evaluation(test()).build();
    TrainingResult half = first.trainUntil(1);
    assertEquals(1, half.completedEpochs());
    assertEquals(expected.history().get(0).withoutTimings(), half.history().get(0).withoutTimings());

    // fresh objects; the model starts from other values, everything must come from the checkpoint
    Trainer resumed = Trainer.builder(BACKEND, TrainFixtures.tinyConvModel(999), base.withCheckpoints(dir, 1, 0),
        train()).evaluation(test()).build();
    TrainingResult actual = resumed.resume(dir);

    assertSameState(uninterrupted, resumed);
    assertEquals(expected.withoutTimings(), actual.withoutTimings());
    assertEquals(2, actual.history().size());
    assertEquals(7 * 2, actual.steps());
  }

  @Test
  void resumeInsideAnEpochWithHooksAndLossTerms() {
    TrainingConfig base = TrainingConfig.of(3, SgdSettings.of(0.05, 0.9, 5e-4).withNesterov(true),
        LearningRateSchedule.cosine(3, 0.0), 41).withSchedulePerStep(true);

    Trainer uninterrupted = build(base.withCheckpoints(tmp.resolve("full"), 1, 3), TrainFixtures.tinyConvModel(6),
        List.of());
    TrainingResult expected = uninterrupted.train();

    // 7 steps per epoch (50 samples, batches of 8); checkpoints every 3 steps. Crash after global steps 5 (epoch 0,
    // resume at epoch 0 step 3), 11 (epoch 1 step 2: after fc.v/fc.s were added) and 19 (epoch 2 step 4: after fc.s grew).
    int[][] crashes = {{5, 0, 3}, {11, 1, 2}, {19, 2, 4}};
    for (int[] crash : crashes) {
      Path dir = tmp.resolve("crash" + crash[0]);
      TrainingListener crasher = new TrainingListener() {
        @Override public void onStepEnd(StepResult step) {
          if (step.globalStep() == crash[0]) {
            throw new IllegalStateException("simulated crash");
          }
        }
      };
      Trainer crashing = build(base.withCheckpoints(dir, 1, 3), TrainFixtures.tinyConvModel(6), List.of(crasher));
      IllegalStateException e = assertThrows(IllegalStateException.class, crashing::train);
      assertEquals("simulated crash", e.getMessage());

      List<EpochStart> starts = new ArrayList<>();
      TrainingListener startRecorder = new TrainingListener() {
        @Override public void onEpochStart(EpochStart start) { starts.add(start); }
      };
      Trainer resumed = build(base.withCheckpoints(dir, 1, 3), TrainFixtures.tinyConvModel(123), List.of(startRecorder));
      TrainingResult actual = resumed.resume(dir);
      assertEquals(crash[1], starts.get(0).epoch(), "resumed epoch after crash at " + crash[0]);
      assertEquals(crash[2], starts.get(0).firstStep(), "resumed step after crash at " + crash[0]);
      assertSameState(uninterrupted, resumed);
      assertEquals(expected.withoutTimings(), actual.withoutTimings(), "crash at global step " + crash[0]);
    }
    assertEquals(2, uninterrupted.model().parameters().get("fc.s").size(), "the epoch hook grew fc.s");
  }

  private static Trainer build(TrainingConfig config, Model model, List<TrainingListener> listeners) {
    Trainer.Builder b = Trainer.builder(BACKEND, model, config, train()).evaluation(test())
        .lossTerm(new TrainFixtures.L2Term(1e-3f))
        .stepHook(new TrainFixtures.ClampHook("conv1.weight", 0.6f))
        .epochHook(new TrainFixtures.ScaledFcHook(2));
    listeners.forEach(b::listener);
    return b.build();
  }

  @Test
  void resumeRejectsAnIncompatibleSetup() {
    TrainingConfig config = TrainingConfig.of(2, SgdSettings.of(0.1, 0.9, 0), LearningRateSchedule.constant(), 1)
        .withCheckpoints(tmp.resolve("run"), 1, 0);
    Trainer.builder(BACKEND, TrainFixtures.tinyConvModel(1), config, train()).build().trainUntil(1);

    Trainer otherSeed = Trainer.builder(BACKEND, TrainFixtures.tinyConvModel(1),
        new TrainingConfig(2, config.optimizer(), config.schedule(), false, 2, 1, config.checkpointDir(), 1, 0, false),
        train()).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> otherSeed.resume(tmp.resolve("run")));
    assertTrue(e.getMessage().contains("seed must be 1, was 2"), e.getMessage());

    Trainer otherData = Trainer.builder(BACKEND, TrainFixtures.tinyConvModel(1), config,
        TrainFixtures.stripes("other", 40, 8, 21, true)).build();
    e = assertThrows(IllegalArgumentException.class, () -> otherData.resume(tmp.resolve("run")));
    assertTrue(e.getMessage().contains("training source must have 50 samples in 7 batches"), e.getMessage());

    // a model with another structure: names and shapes are checked
    Trainer otherModel = Trainer.builder(BACKEND, TrainFixtures.tinyConvModel(1), config, train())
        .epochHook(new TrainFixtures.ScaledFcHook(5)).build();
    Model extra = otherModel.model();
    extra.parameters().add(new Parameter("extra", new int[] {1}, org.bsq.core.param.ParameterRole.STRATEGY));
    e = assertThrows(IllegalArgumentException.class, () -> otherModel.resume(tmp.resolve("run")));
    assertTrue(e.getMessage().contains("parameter 'extra' of the model is missing from the checkpoint"), e.getMessage());

    Checkpoint.ofParameters(TrainFixtures.tinyConvModel(1).parameters()).write(tmp.resolve("weights"));
    Trainer plain = Trainer.builder(BACKEND, TrainFixtures.tinyConvModel(1), config, train()).build();
    e = assertThrows(IllegalArgumentException.class, () -> plain.resume(tmp.resolve("weights")));
    assertTrue(e.getMessage().contains("must hold a training state"), e.getMessage());
  }
}
