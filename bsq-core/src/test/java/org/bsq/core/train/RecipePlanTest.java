package org.bsq.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bsq.core.data.FractionalEpochs;
import org.junit.jupiter.api.Test;

class RecipePlanTest {
  /** The ResNet-20 recipe: 350 BSQ epochs, milestone 250, re-quantization every 100; 391 batches per epoch. */
  private static final int B = 391;

  @Test
  void resnet20AtScale0004IsAMiniatureInSteps() {
    RecipePlan plan = RecipePlan.of(350, 350 * 0.004, B);
    assertTrue(plan.stepGranular());
    assertEquals(547, plan.totalSteps(), "round(1.4 * 391)");
    assertEquals(2, plan.epochs(), "391 steps, then 156 of the second epoch");
    assertEquals(List.of(391L), plan.milestoneSteps(List.of(250.0)), "250 / 350 of 547 = 390.7");
    assertEquals(List.of(156L, 312L, 468L), plan.periodicSteps(100), "every round(100 / 350 * 547) = 156 steps");
    // its finetuning: 300 recipe epochs, milestones 150 and 250, at 1.2 epochs
    RecipePlan finetune = RecipePlan.of(300, 300 * 0.004, B);
    assertEquals(469, finetune.totalSteps());
    assertEquals(List.of(235L, 391L), finetune.milestoneSteps(List.of(150.0, 250.0)), "234.5 rounds up");
  }

  @Test
  void wholeBudgetsKeepEpochBoundaries() {
    RecipePlan full = RecipePlan.of(350, 350, B);
    assertFalse(full.stepGranular());
    assertEquals(350L * B, full.totalSteps());
    assertEquals(350, full.epochs());
    assertEquals(List.of(250L * B), full.milestoneSteps(List.of(250.0)));
    assertEquals(List.of(100L * B, 200L * B, 300L * B), full.periodicSteps(100));
    RecipePlan tenth = RecipePlan.of(350, 35, B);
    assertEquals(List.of(25L * B), tenth.milestoneSteps(List.of(250.0)));
    assertEquals(List.of(10L * B, 20L * B, 30L * B), tenth.periodicSteps(100));
    RecipePlan noisy = RecipePlan.of(350, 350 * 0.14, B); // 49.00000000000001
    assertFalse(noisy.stepGranular());
    assertEquals(49, noisy.epochs());
  }

  @Test
  void wholeBudgetsEqualTheEpochRounding() {
    for (int epochs = 1; epochs <= 40; epochs++) {
      RecipePlan plan = RecipePlan.of(300, epochs, 7);
      List<Long> expected = FractionalEpochs.scaleMilestones(List.of(150.0, 250.0), 300, epochs).stream()
          .map(m -> (long) m * 7).sorted().toList();
      assertEquals(expected, plan.milestoneSteps(List.of(150.0, 250.0)), epochs + " epochs");
      int interval = FractionalEpochs.scaleEpoch(100, 300, epochs);
      List<Long> periodic = plan.periodicSteps(100);
      for (int i = 0; i < periodic.size(); i++) {
        assertEquals((long) (i + 1) * interval * 7, periodic.get(i), epochs + " epochs");
      }
      assertEquals((epochs - 1) / interval, periodic.size(), epochs + " epochs");
    }
  }

  @Test
  void everyEventIsWithinOneStepOfTheRecipesFractionAtAnyScale() {
    for (int thousandths = 1; thousandths <= 1000; thousandths += 7) {
      double scale = thousandths / 1000.0;
      RecipePlan plan = RecipePlan.of(350, 350 * scale, B);
      if (!plan.stepGranular()) {
        continue;
      }
      double t = plan.totalSteps();
      for (long s : plan.milestoneSteps(List.of(250.0))) {
        assertTrue(Math.abs(s - 250 * t / 350) <= 1, scale + ": milestone " + s);
      }
      List<Long> requantize = plan.periodicSteps(100);
      int expected = 0;
      for (int k = 1; k * 100 < 350; k++) {
        if (Math.max(1, Math.round(k * 100 * t / 350)) < t) {
          expected++;
        }
      }
      assertEquals(expected, requantize.size(), scale + ": " + requantize);
      for (int k = 1; k <= requantize.size(); k++) {
        assertTrue(Math.abs(requantize.get(k - 1) - k * 100 * t / 350) <= 1, scale + ": " + requantize);
      }
    }
  }

  @Test
  void periodsThatWouldDriftAreRoundedOneByOne() {
    // 10 steps of a recipe with 9 events every 10 of 100 epochs: period round(1) = 1 is exact.
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), RecipePlan.of(100, 0.5, 20).periodicSteps(10));
    // 13 steps, events every 10 of 100 epochs (1.3 steps): a period of 1 would drift to step 9 for 11.7.
    RecipePlan plan = RecipePlan.of(100, 0.65, 20);
    assertEquals(13, plan.totalSteps());
    assertEquals(List.of(1L, 3L, 4L, 5L, 7L, 8L, 9L, 10L, 12L), plan.periodicSteps(10));
  }

  @Test
  void tinyBudgetsRunAtLeastOneStep() {
    RecipePlan plan = RecipePlan.of(350, 0.001, B);
    assertEquals(1, plan.totalSteps());
    assertEquals(1, plan.epochs());
    assertEquals(List.of(), plan.milestoneSteps(List.of(250.0)), "a milestone at the end never acts");
    assertEquals(List.of(), plan.periodicSteps(100));
  }

  @Test
  void stepMilestoneScheduleDropsAtTheStep() {
    LearningRateSchedule s = new LearningRateSchedule.StepMilestones(List.of(391L), 391, 0.1);
    TrainingConfig c = TrainingConfig.of(2, SgdSettings.of(0.1, 0.9, 1e-4), s, 1).withSchedulePerStep(true);
    assertEquals(0.1, c.learningRate(0, 390, 391));
    assertEquals(0.1 * 0.1, c.learningRate(1, 0, 391));
    RecipePlan plan = RecipePlan.of(100, 1.3, 10);
    LearningRateSchedule mid = new LearningRateSchedule.StepMilestones(plan.milestoneSteps(List.of(50.0)), 10, 0.5);
    assertEquals(List.of(7L), plan.milestoneSteps(List.of(50.0)), "half of 13 steps");
    TrainingConfig m = TrainingConfig.of(2, SgdSettings.of(1, 0, 0), mid, 1).withSchedulePerStep(true);
    assertEquals(1.0, m.learningRate(0, 6, 10));
    assertEquals(0.5, m.learningRate(0, 7, 10));
  }
}
