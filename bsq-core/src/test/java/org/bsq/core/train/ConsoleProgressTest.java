package org.bsq.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
  private static final TrainingConfig CONFIG =
      TrainingConfig.of(2, SgdSettings.of(0.1, 0.9, 0), LearningRateSchedule.constant(), 1);

  private static StepResult step(int s, int steps) {
    return new StepResult(0, s, steps, s + 1, 10, 0.5, 0.5, Map.of(), 7, 0.1, 0.6, 0.7, 10L * (s + 1));
  }

  @Test
  void plainLinesEveryTenPercentWithoutATerminal() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong clock = new AtomicLong();
    ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 200,
        clock::get);
    p.onTrainingStart(CONFIG, 0, "synthetic");
    p.onEpochStart(new EpochStart(0, 2, 0, 20, 200, 0.1));
    for (int s = 0; s < 20; s++) {
      clock.addAndGet(100_000_000L);   // 0.1 s per step of 10 images: 100 img/s
      p.onStepEnd(step(s, 20));
    }
    p.onEpochEnd(new EpochRecord(0, 0.1, 0.6, 0.6, 0.7, 200, null, 2, 2));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertFalse(out.contains("\r"));
    String[] lines = out.split("\n");
    long progressLines = Arrays.stream(lines).filter(l -> l.contains("img/s")).count();
    assertEquals(10, progressLines, out);
    assertTrue(out.contains("epoch 1/2 2/20 ( 10%) eta 0:02, 100 img/s, loss 0.6000, top1 70.00%"), out);
    assertTrue(out.contains("epoch 1/2 done in 0:02: train loss 0.6000, train top1 70.00%, lr 0.100000"), out);
  }

  @Test
  void lossTermsAndNotesAreShown() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong clock = new AtomicLong();
    ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 200,
        clock::get);
    p.onEpochStart(new EpochStart(0, 1, 0, 10, 100, 0.1));
    for (int s = 0; s < 10; s++) {
      clock.addAndGet(100_000_000L);
      p.onStepEnd(new StepResult(0, s, 10, s + 1, 10, 0.5, 0.75, Map.of("bsq-group-lasso", 0.25), 7, 0.1, 0.6, 0.7,
          10L * (s + 1)));
    }
    p.onEpochEnd(new EpochRecord(0, 0.1, 0.6, 0.85, 0.7, 100, null, 1, 1));
    p.onNote("bsq: re-quantized before epoch 2: average 6.500 weight bits");
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("loss 0.6000, top1 70.00%, bsq-group-lasso 0.2500\n"), out);
    assertTrue(out.contains("train loss 0.6000 + loss terms 0.2500 = objective 0.8500, train top1 70.00%"), out);
    assertTrue(out.endsWith("  bsq: re-quantized before epoch 2: average 6.500 weight bits\n"), out);
  }

  @Test
  void redrawsOneThrottledLineOnATerminal() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong clock = new AtomicLong();
    ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, 200,
        clock::get);
    p.onEpochStart(new EpochStart(0, 2, 0, 20, 200, 0.1));
    for (int s = 0; s < 20; s++) {
      clock.addAndGet(50_000_000L);
      p.onStepEnd(step(s, 20));
    }
    p.onEvaluation(0, new EvaluationResult(10, 2, 9, 10, 0.25, 0.5));
    String out = bytes.toString(StandardCharsets.UTF_8);
    long redraws = out.chars().filter(c -> c == '\r').count();
    assertEquals(6, redraws, "first step, every 200 ms (4 steps of 50 ms) and the last step: " + out);
    assertTrue(out.contains("[==============================] 20/20 (100%)"), out);
    assertTrue(out.matches("(?s).*\\(100%\\)[^\\n]*\n  eval after epoch 1: .*"),
        "the open line is ended before other output: " + out);
  }

  @Test
  void worksAsATrainerListener() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 200,
        System::nanoTime);
    Trainer.builder(new ReferenceBackend(1), TrainFixtures.tinyConvModel(1), CONFIG.withEpochs(1),
        TrainFixtures.stripes("stripes", 30, 4, 1, true)).evaluation(TrainFixtures.stripes("test", 8, 4, 2, false))
        .listener(p).build().train();
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.startsWith("training 1 epochs, sgd(lr=0.1"), out);
    assertTrue(out.contains("eval after epoch 1: top1"), out);
    assertTrue(out.contains("training stopped after 1 epochs, 8 steps"), out);
  }
}
