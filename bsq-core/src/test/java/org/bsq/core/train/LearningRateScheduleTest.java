package org.bsq.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
  @Test
  void constant() {
    LearningRateSchedule s = LearningRateSchedule.constant();
    assertEquals(0.1, s.atEpoch(0.1, 0));
    assertEquals(0.1, s.atEpoch(0.1, 349));
    assertEquals("constant", s.describe());
  }

  @Test
  void multiStepMatchesMultiStepLR() {
    LearningRateSchedule s = LearningRateSchedule.step(0.1, 250, 150);
    assertEquals(List.of(150, 250), ((LearningRateSchedule.Step) s).milestones());
    assertEquals(0.01, s.atEpoch(0.01, 0));
    assertEquals(0.01, s.atEpoch(0.01, 149));
    assertEquals(0.01 * 0.1, s.atEpoch(0.01, 150));   // the rate drops AT the milestone epoch
    assertEquals(0.01 * 0.1, s.atEpoch(0.01, 249));
    assertEquals(0.01 * 0.1 * 0.1, s.atEpoch(0.01, 250));
    assertEquals(0.01 * 0.1, s.at(0.01, 249.99));
    assertEquals("step(milestones=[150, 250], gamma=0.1)", s.describe());
    // BSQ: lr 0.1, x0.1 at 250
    assertEquals(0.1, LearningRateSchedule.step(0.1, 250).atEpoch(0.1, 249));
    assertEquals(0.1 * 0.1, LearningRateSchedule.step(0.1, 250).atEpoch(0.1, 250));
  }

  @Test
  void cosineMatchesCosineAnnealingLR() {
    LearningRateSchedule s = LearningRateSchedule.cosine(10, 0.001);
    assertEquals(0.1, s.atEpoch(0.1, 0));
    assertEquals(0.001 + (0.1 - 0.001) * (1 + Math.cos(Math.PI * 3 / 10)) / 2, s.atEpoch(0.1, 3), 1e-15);
    assertEquals((0.1 + 0.001) / 2, s.atEpoch(0.1, 5), 1e-15);
    assertEquals(0.001, s.atEpoch(0.1, 10), 1e-15);
    // fractional epochs (per-step evaluation) lie between the epoch values
    double mid = s.at(0.1, 3.5);
    assertEquals(0.001 + (0.1 - 0.001) * (1 + Math.cos(Math.PI * 3.5 / 10)) / 2, mid, 1e-15);
    assertEquals("cosine(T_max=10, eta_min=0.001)", s.describe());
  }

  @Test
  void perStepConfigUsesFractionalEpochs() {
    TrainingConfig perEpoch = TrainingConfig.of(10, SgdSettings.of(0.1, 0.9, 0), LearningRateSchedule.cosine(10, 0), 1);
    TrainingConfig perStep = perEpoch.withSchedulePerStep(true);
    assertEquals(perEpoch.learningRate(2, 0, 4), perEpoch.learningRate(2, 3, 4));
    assertEquals(LearningRateSchedule.cosine(10, 0).at(0.1, 2.75), perStep.learningRate(2, 3, 4));
    assertEquals(perEpoch.learningRate(2, 0, 4), perStep.learningRate(2, 0, 4));
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.step(0.1, 0));
    assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.step(0, 10));
    assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0, 0));
    assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(10, -1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LearningRateSchedule.constant().atEpoch(0.1, -1));
    assertEquals("schedule epoch must be finite and >= 0, was -1.0", e.getMessage());
  }
}
