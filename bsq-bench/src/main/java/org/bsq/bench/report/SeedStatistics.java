package org.bsq.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;
import org.apache.commons.math3.stat.inference.TTest;
import org.bsq.core.json.Json;

/**
 * Runs that differ only in their seed, summarized, and compared between strategies: Welch's t-test on the final top-1
 * per seed, with the Mann-Whitney U test as a non-parametric check when both groups have at least
 * {@value #MIN_MANN_WHITNEY} seeds (docs/decisions/0011-report.md).
 */
public final class SeedStatistics {
  /** Significance level of the verdicts. */
  public static final double ALPHA = 0.05;
  /** Fewest seeds per group for the Mann-Whitney U check. */
  public static final int MIN_MANN_WHITNEY = 3;

  private SeedStatistics() {}

  /**
   * Runs whose resolved configurations are equal once the seed is removed.
   *
   * @param key canonical JSON of the configuration without its seed
   * @param label the group's name: its strategy, with the first run's label where several groups share a strategy
   * @param strategy the strategy of every run of the group
   * @param runs the group's finished runs, in input order
   */
  public record SeedGroup(String key, String label, String strategy, List<ReportRun> runs) {
    public SeedGroup {
      runs = List.copyOf(runs);
    }

    /** Final top-1 (after finetuning) per run. */
    public double[] top1() {
      return values(r -> r.record().metrics().top1());
    }

    /** A metric per run (NaN where a run lacks it). */
    public double[] values(ToDoubleFunction<ReportRun> metric) {
      return runs.stream().mapToDouble(metric).toArray();
    }

    /** The seeds of the runs. */
    public List<Long> seeds() {
      return runs.stream().map(r -> r.record().seed()).toList();
    }
  }

  /**
   * Mean and sample standard deviation.
   *
   * @param n values that are not NaN
   * @param sd sample standard deviation (n - 1), NaN for fewer than two values
   */
  public record Summary(double mean, double sd, int n) {
    /** The summary of the values that are not NaN (mean NaN when none). */
    public static Summary of(double[] values) {
      double[] v = java.util.Arrays.stream(values).filter(x -> !Double.isNaN(x)).toArray();
      if (v.length == 0) {
        return new Summary(Double.NaN, Double.NaN, 0);
      }
      double mean = java.util.Arrays.stream(v).average().orElseThrow();
      double sd = Double.NaN;
      if (v.length > 1) {
        double ss = 0;
        for (double x : v) {
          ss += (x - mean) * (x - mean);
        }
        sd = Math.sqrt(ss / (v.length - 1));
      }
      return new Summary(mean, sd, v.length);
    }

    /** {@code mean ± sd} with the pattern (e.g. {@code %.4f}); just the mean for one value, "-" for none. */
    public String format(String pattern) {
      return format(v -> String.format(Locale.ROOT, pattern, v));
    }

    /** {@code mean ± sd} with the formatter; just the mean for one value, "-" for none. */
    public String format(java.util.function.DoubleFunction<String> formatter) {
      if (n == 0) {
        return "-";
      }
      String m = formatter.apply(mean);
      return n < 2 ? m : m + " ± " + formatter.apply(sd);
    }
  }

  /**
   * The comparison of two groups' final top-1.
   *
   * @param a first group
   * @param b second group
   * @param welchP two-sided p-value of Welch's t-test, null when not testable
   * @param mannWhitneyP two-sided p-value of the Mann-Whitney U test (normal approximation), null when either group
   *     has fewer than {@value #MIN_MANN_WHITNEY} seeds
   * @param significant whether Welch's test rejects equal means at {@link #ALPHA}
   * @param verdict the result in plain words
   */
  public record Comparison(SeedGroup a, SeedGroup b, Double welchP, Double mannWhitneyP, boolean significant,
                           String verdict) {}

  /** Groups the finished runs by configuration without the seed, in order of first appearance. */
  public static List<SeedGroup> groups(List<ReportRun> runs) {
    Map<String, List<ReportRun>> byKey = new LinkedHashMap<>();
    for (ReportRun r : runs) {
      if (r.finished()) {
        byKey.computeIfAbsent(key(r), k -> new ArrayList<>()).add(r);
      }
    }
    Map<String, Integer> perStrategy = new LinkedHashMap<>();
    byKey.values().forEach(l -> perStrategy.merge(l.get(0).strategy(), 1, Integer::sum));
    List<SeedGroup> out = new ArrayList<>();
    byKey.forEach((k, l) -> {
      String s = l.get(0).strategy();
      String label = perStrategy.get(s) > 1 ? s + " [" + l.get(0).label() + "]" : s;
      out.add(new SeedGroup(k, label, s, l));
    });
    return List.copyOf(out);
  }

  /** The grouping key: the resolved configuration without {@code experiment.seed} (and a top-level seed). */
  static String key(ReportRun r) {
    JsonNode config = r.record().config();
    if (config == null || !config.isObject()) {
      return "run:" + r.label();
    }
    ObjectNode c = config.deepCopy();
    c.remove("seed");
    if (c.get("experiment") instanceof ObjectNode e) {
      e.remove("seed");
    }
    return r.strategy() + ":" + new String(Json.canonicalBytes(c), StandardCharsets.UTF_8);
  }

  /** Every pair of groups, compared on final top-1. */
  public static List<Comparison> compareAll(List<SeedGroup> groups) {
    List<Comparison> out = new ArrayList<>();
    for (int i = 0; i < groups.size(); i++) {
      for (int j = i + 1; j < groups.size(); j++) {
        out.add(compare(groups.get(i), groups.get(j)));
      }
    }
    return List.copyOf(out);
  }

  /** Compares two groups' final top-1 per seed. */
  public static Comparison compare(SeedGroup a, SeedGroup b) {
    return compare(a, b, a.top1(), b.top1());
  }

  /**
   * Compares two samples: Welch's t-test (two-sided; not testable with fewer than two values in either sample or
   * without any variance), Mann-Whitney U when both have at least {@value #MIN_MANN_WHITNEY} values.
   */
  static Comparison compare(SeedGroup a, SeedGroup b, double[] x, double[] y) {
    if (x.length < 2 || y.length < 2) {
      return new Comparison(a, b, null, null, false, "not testable: fewer than 2 seeds ("
          + a.label() + ": " + x.length + ", " + b.label() + ": " + y.length + ")");
    }
    Summary sx = Summary.of(x);
    Summary sy = Summary.of(y);
    if (sx.sd() == 0 && sy.sd() == 0) {
      return new Comparison(a, b, null, null, false, sx.mean() == sy.mean()
          ? "not testable: every seed gave the same top-1 in both groups (identical)"
          : "not testable: no variance across seeds in either group");
    }
    double p = new TTest().tTest(x, y);
    Double mw = x.length >= MIN_MANN_WHITNEY && y.length >= MIN_MANN_WHITNEY
        ? new MannWhitneyUTest().mannWhitneyUTest(x, y) : null;
    boolean significant = p < ALPHA;
    String diff = String.format(Locale.ROOT, "%.2f points", Math.abs(sx.mean() - sy.mean()) * 100);
    String higher = sx.mean() >= sy.mean() ? a.label() : b.label();
    String verdict = significant
        ? String.format(Locale.ROOT, "real difference at alpha %.2f: %s is higher by %s (Welch p = %.3g)", ALPHA,
            higher, diff, p)
        : String.format(Locale.ROOT, "no significant difference at alpha %.2f (Welch p = %.3g; means differ by %s)",
            ALPHA, p, diff);
    if (mw != null && (mw < ALPHA) != significant) {
      verdict += String.format(Locale.ROOT, "; Mann-Whitney U disagrees (p = %.3g), treat as uncertain", mw);
    }
    return new Comparison(a, b, p, mw, significant, verdict);
  }
}
