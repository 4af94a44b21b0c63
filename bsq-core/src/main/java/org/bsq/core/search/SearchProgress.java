package org.bsq.core.search;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Prints a search's progress: on a console one redrawn line ({@code search [=====     ] 37/300 (12%) eta 4:05,
 * best reward -0.0123 at 2.31 ms, last top1 85.20% 2.45 ms}), otherwise a line at every tenth of the evaluation budget
 * (every 10th evaluation without one) and at the end.
 */
public final class SearchProgress implements SearchListener {
  private static final int BAR_WIDTH = 30;
  private final PrintWriter out;
  private final boolean interactive;
  private final long redrawNanos;
  private final LongSupplier clock;
  private final String unit;
  private long lastDraw = Long.MIN_VALUE;
  private int lastDecile;

  /**
   * @param out where to print
   * @param interactive redraw one line, or print periodic lines
   * @param redrawMillis minimum time between redraws
   * @param clock nanosecond clock
   * @param unit the objective's unit (for the cost columns)
   */
  public SearchProgress(PrintWriter out, boolean interactive, long redrawMillis, LongSupplier clock, String unit) {
    this.out = out;
    this.interactive = interactive;
    this.redrawNanos = redrawMillis * 1_000_000L;
    this.clock = clock;
    this.unit = unit;
  }

  @Override
  public void onSearchStep(SearchStep s) {
    boolean last = s.planned() > 0 && s.index() >= s.planned();
    long now = clock.getAsLong();
    if (interactive) {
      if (last || lastDraw == Long.MIN_VALUE || now - lastDraw >= redrawNanos) {
        lastDraw = now;
        out.print("\r" + line(s, true));
        if (last) {
          out.println();
        }
        out.flush();
      }
      return;
    }
    int decile = s.planned() > 0 ? s.index() * 10 / s.planned() : s.index() / 10;
    if (decile > lastDecile || s.index() == 1) {
      lastDecile = decile;
      out.println(line(s, false));
      out.flush();
    }
  }

  String line(SearchStep s, boolean bar) {
    StringBuilder b = new StringBuilder("search ");
    if (s.planned() > 0) {
      if (bar) {
        int filled = (int) ((long) BAR_WIDTH * Math.min(s.index(), s.planned()) / s.planned());
        b.append('[').append("=".repeat(filled)).append(" ".repeat(BAR_WIDTH - filled)).append("] ");
      }
      double eta = s.seconds() / s.index() * (s.planned() - s.index());
      b.append(String.format(Locale.ROOT, "%d/%d (%3d%%) eta %s", s.index(), s.planned(),
          100L * s.index() / s.planned(), seconds(eta)));
    } else {
      b.append(String.format(Locale.ROOT, "%d evaluations in %s", s.index(), seconds(s.seconds())));
    }
    b.append(String.format(Locale.ROOT, ", best reward %.4g at %.4g %s, last top1 %.2f%% %.4g %s", s.bestReward(),
        s.bestCost(), unit, 100 * s.top1(), s.cost(), unit));
    return b.toString();
  }

  private static String seconds(double s) {
    return org.bsq.core.train.ConsoleProgress.formatSeconds(s);
  }
}
