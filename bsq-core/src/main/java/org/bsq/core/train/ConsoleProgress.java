package org.bsq.core.train;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A {@link TrainingListener} that shows training progress. On a terminal ({@code System.console() != null}) it
 * redraws one line with {@code \r} at most every {@code redrawMillis}: a progress bar, step counter, ETA of the epoch,
 * images/s, running loss and accuracy, and each extra loss term of the step (e.g. BSQ's regularizer). Without a terminal (logs, CI) it prints plain lines at every 10 % of an epoch and
 * at epoch end. Evaluations, epoch summaries (with the loss terms' mean), checkpoints and the strategy's notes
 * ({@link #onNote}) always get their own line.
 */
public final class ConsoleProgress implements TrainingListener {
  private static final int BAR_WIDTH = 30;

  private final PrintWriter out;
  private final boolean interactive;
  private final long redrawNanos;
  private final LongSupplier clock;

  private long epochStartNanos;
  private long lastDrawNanos;
  private int firstStep;
  private long samplesThisRun;
  private int lastDecile;
  private int totalEpochs;
  private boolean lineOpen;

  /** Prints to {@code System.out}, interactive when a console is attached. */
  public ConsoleProgress() {
    this(System.out, System.console() != null, 200, System::nanoTime);
  }

  /**
   * @param out where to print
   * @param interactive redraw one line ({@code true}) or print periodic lines
   * @param redrawMillis minimum time between redraws of the interactive line
   * @param clock nanosecond clock (for tests)
   */
  public ConsoleProgress(PrintStream out, boolean interactive, long redrawMillis, LongSupplier clock) {
    this(out == null ? null : new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true), interactive,
        redrawMillis, clock);
  }

  /** As {@link #ConsoleProgress(PrintStream, boolean, long, LongSupplier)}, printing to a writer. */
  public ConsoleProgress(PrintWriter out, boolean interactive, long redrawMillis, LongSupplier clock) {
    if (out == null || clock == null) {
      throw new IllegalArgumentException("output stream and clock must be given, was " + out + ", " + clock);
    }
    if (redrawMillis < 0) {
      throw new IllegalArgumentException("redraw interval must be >= 0 ms, was " + redrawMillis);
    }
    this.out = out;
    this.interactive = interactive;
    this.redrawNanos = redrawMillis * 1_000_000L;
    this.clock = clock;
  }

  @Override
  public void onTrainingStart(TrainingConfig config, int firstEpoch, String trainDescription) {
    totalEpochs = config.epochs();
    println((firstEpoch > 0 ? "resuming at epoch " + (firstEpoch + 1) + " of " : "training ") + config.describe()
        + " on " + trainDescription);
  }

  @Override
  public void onEpochStart(EpochStart start) {
    epochStartNanos = clock.getAsLong();
    lastDrawNanos = Long.MIN_VALUE;
    firstStep = start.firstStep();
    samplesThisRun = 0;
    lastDecile = start.firstStep() * 10 / start.stepsPerEpoch();
    totalEpochs = start.totalEpochs();
    if (!interactive) {
      println(String.format(Locale.ROOT, "epoch %d/%d: lr %.6g, %d steps%s", start.epoch() + 1, start.totalEpochs(),
          start.learningRate(), start.stepsPerEpoch(),
          start.firstStep() > 0 ? " (resuming at step " + start.firstStep() + ")" : ""));
    }
  }

  @Override
  public void onStepEnd(StepResult s) {
    samplesThisRun += s.samples();
    long now = clock.getAsLong();
    int done = s.step() + 1;
    boolean last = done == s.stepsPerEpoch();
    if (interactive) {
      if (last || lastDrawNanos == Long.MIN_VALUE || now - lastDrawNanos >= redrawNanos) {
        lastDrawNanos = now;
        out.print("\r" + line(s, now, true));
        out.flush();
        lineOpen = true;
      }
    } else {
      int decile = done * 10 / s.stepsPerEpoch();
      if (decile > lastDecile) {
        lastDecile = decile;
        println(line(s, now, false));
      }
    }
  }

  private String line(StepResult s, long now, boolean bar) {
    int done = s.step() + 1;
    double elapsed = (now - epochStartNanos) / 1e9;
    double perStep = done > firstStep ? elapsed / (done - firstStep) : 0;
    double eta = perStep * (s.stepsPerEpoch() - done);
    double imagesPerSecond = elapsed > 0 ? samplesThisRun / elapsed : 0;
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "epoch %d/%d ", s.epoch() + 1, totalEpochs));
    if (bar) {
      int filled = (int) ((long) BAR_WIDTH * done / s.stepsPerEpoch());
      b.append('[').append("=".repeat(filled)).append(" ".repeat(BAR_WIDTH - filled)).append("] ");
    }
    b.append(String.format(Locale.ROOT, "%d/%d (%3d%%) eta %s, %.0f img/s, loss %.4f, top1 %.2f%%", done,
        s.stepsPerEpoch(), 100L * done / s.stepsPerEpoch(), formatSeconds(eta), imagesPerSecond, s.epochMeanLoss(),
        100 * s.epochTop1()));
    for (Map.Entry<String, Double> t : s.terms().entrySet()) {
      b.append(String.format(Locale.ROOT, ", %s %.4g", t.getKey(), t.getValue()));
    }
    if (s.terms().isEmpty() && s.objective() != s.loss()) {
      b.append(String.format(Locale.ROOT, ", objective %.4f", s.objective()));
    }
    return b.toString();
  }

  @Override
  public void onEvaluation(int epoch, EvaluationResult result) {
    println("  eval after epoch " + (epoch + 1) + ": " + result);
  }

  @Override
  public void onEpochEnd(EpochRecord r) {
    println(String.format(Locale.ROOT, "epoch %d/%d done in %s: train loss %.4f%s, train top1 %.2f%%%s, lr %.6g",
        r.epoch() + 1, totalEpochs, formatSeconds(r.seconds()), r.trainLoss(),
        r.trainObjective() == r.trainLoss() ? "" : String.format(Locale.ROOT, " + loss terms %.4g = objective %.4f",
            r.trainObjective() - r.trainLoss(), r.trainObjective()),
        100 * r.trainTop1(),
        r.evaluation() == null ? "" : String.format(Locale.ROOT, ", test top1 %.2f%% top%d %.2f%% loss %.4f",
            100 * r.testTop1(), r.evaluation().topK(), 100 * r.testTop5(), r.testLoss()),
        r.learningRate()));
  }

  @Override
  public void onCheckpoint(Path directory, int epoch, int step) {
    if (!interactive) {
      println("  checkpoint " + directory + " (resumes at epoch " + (epoch + 1) + ", step " + step + ")");
    }
  }

  @Override
  public void onTrainingEnd(TrainingResult result) {
    println(String.format(Locale.ROOT, "training stopped after %d epochs, %d steps, in %s%s", result.completedEpochs(),
        result.steps(), formatSeconds(result.seconds()),
        result.finalEvaluation() == null ? "" : "; final " + result.finalEvaluation()));
  }

  @Override
  public void onNote(String note) {
    println("  " + note);
  }

  private void println(String s) {
    if (lineOpen) {
      out.println();
      lineOpen = false;
    }
    out.println(s);
    out.flush();
  }

  /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
  public static String formatSeconds(double seconds) {
    long s = (long) Math.rint(Math.max(0, seconds));
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
    return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
