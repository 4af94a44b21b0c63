package org.bsq.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.bsq.bench.report.Figures.Figure;
import org.bsq.bench.report.SeedStatistics.Comparison;
import org.bsq.bench.report.SeedStatistics.SeedGroup;
import org.bsq.bench.report.SeedStatistics.Summary;
import org.bsq.core.harness.RunRecord;

/**
 * The report's single HTML page: self-contained (inline CSS, figures by relative path under {@value Report#FIGURES}/,
 * no network). A small inline script records page errors and every image's natural size into
 * {@code <pre id="render-check">} once the page has loaded, for the headless-browser test.
 */
final class HtmlReport {
  private HtmlReport() {}

  static String html(List<ReportRun> runs, List<SeedGroup> groups, List<Comparison> comparisons,
                     List<Figure> figures) {
    List<String> presets = presets(runs);
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>bsq report</title>\n")
        .append("<script>\nwindow.renderErrors = [];\nwindow.addEventListener('error', function (e) {\n")
        .append("  var t = e.target;\n  window.renderErrors.push(t && t !== window && (t.src || t.href)\n")
        .append("      ? 'cannot load ' + (t.getAttribute('src') || t.getAttribute('href')) : String(e.message));\n")
        .append("}, true);\nwindow.addEventListener('load', function () {\n  var images = [];\n")
        .append("  for (var i = 0; i < document.images.length; i++) {\n    var im = document.images[i];\n")
        .append("    images.push({src: im.getAttribute('src'), width: im.naturalWidth, height: im.naturalHeight});\n")
        .append("  }\n  document.getElementById('render-check').textContent =\n")
        .append("      JSON.stringify({errors: window.renderErrors, images: images});\n});\n</script>\n")
        .append("<style>\nbody{font-family:sans-serif;margin:2em;max-width:1400px;color:#222}\n")
        .append("table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\n")
        .append("th,td{border:1px solid #ccc;padding:0.25em 0.5em;text-align:right}\n")
        .append("th{background:#f0f0f0}td.l,th.l{text-align:left}\nfigure{margin:1.5em 0}\n")
        .append("img{max-width:100%;border:1px solid #eee}\nfigcaption{font-size:0.9em;color:#555}\n")
        .append(".yes{color:#080;font-weight:bold}\n</style>\n</head>\n<body>\n");
    long finished = runs.stream().filter(ReportRun::finished).count();
    h.append("<h1>bsq report</h1>\n<p>").append(runs.size()).append(runs.size() == 1 ? " run" : " runs")
        .append(" (").append(finished).append(" finished, ").append(runs.size() - finished).append(" failed), ")
        .append(groups.size()).append(groups.size() == 1 ? " configuration" : " configurations")
        .append(" when seeds are pooled. Accuracies are top-1 on the test set in percent.</p>\n");

    h.append("<h2 id=\"runs\">Runs</h2>\n<table id=\"runs-table\">\n<tr><th class=\"l\">strategy</th>")
        .append("<th class=\"l\">run</th><th>seed</th><th>avg weight bits</th><th>compression (paper)</th>")
        .append("<th>top-1 float</th><th>top-1 before finetuning</th><th>top-1 after finetuning</th>");
    for (String p : presets) {
      h.append("<th>latency ").append(esc(p)).append(" (ms)</th><th>energy ").append(esc(p)).append(" (mJ)</th>");
    }
    h.append("</tr>\n");
    for (ReportRun r : runs) {
      if (!r.finished()) {
        continue;
      }
      RunRecord rec = r.record();
      h.append("<tr class=\"run\"><td class=\"l\">").append(esc(r.strategy())).append("</td><td class=\"l\">")
          .append(esc(r.label())).append("</td><td>").append(rec.seed()).append("</td><td>")
          .append(num(rec.avgBits(), "%.3f")).append("</td><td>")
          .append(rec.compression() == null ? "-" : num(rec.compression().paper(), "%.2fx")).append("</td><td>")
          .append(pct(rec.metrics().top1Float())).append("</td><td>").append(pct(rec.metrics().top1BeforeFinetune()))
          .append("</td><td>").append(pct(rec.metrics().top1())).append("</td>");
      for (String p : presets) {
        h.append("<td>").append(sig(Figures.cost(rec, p, Figures.LATENCY))).append("</td><td>")
            .append(sig(Figures.cost(rec, p, Figures.ENERGY))).append("</td>");
      }
      h.append("</tr>\n");
    }
    h.append("</table>\n");

    List<ReportRun> failed = runs.stream().filter(r -> !r.finished()).toList();
    if (!failed.isEmpty()) {
      h.append("<h2 id=\"failed\">Failed runs (not plotted)</h2>\n<ul id=\"failed-runs\">\n");
      for (ReportRun r : failed) {
        RunRecord.Failure e = r.record().error();
        h.append("<li>").append(esc(r.label())).append(" (").append(esc(r.strategy())).append(", seed ")
            .append(r.record().seed()).append("): ").append(esc(e.phase())).append(": ").append(esc(e.type()))
            .append(": ").append(esc(e.message())).append("</li>\n");
      }
      h.append("</ul>\n");
    }

    h.append("<h2 id=\"seeds\">Seeds pooled</h2>\n<p>Runs whose resolved configuration differs only in the seed form "
        + "one group: mean ± sample standard deviation over its seeds.</p>\n<table id=\"seed-table\">\n<tr>"
        + "<th class=\"l\">group</th><th>seeds</th><th class=\"l\">seed values</th><th>avg weight bits</th>"
        + "<th>compression (paper)</th><th>top-1 before finetuning</th><th>top-1 after finetuning</th>");
    for (String p : presets) {
      h.append("<th>latency ").append(esc(p)).append(" (ms)</th><th>energy ").append(esc(p)).append(" (mJ)</th>");
    }
    h.append("</tr>\n");
    for (SeedGroup g : groups) {
      h.append("<tr><td class=\"l\">").append(esc(g.label())).append("</td><td>").append(g.runs().size())
          .append("</td><td class=\"l\">").append(esc(g.seeds().toString())).append("</td><td>")
          .append(Summary.of(g.values(r -> r.record().avgBits() == null ? Double.NaN : r.record().avgBits()))
              .format("%.3f")).append("</td><td>")
          .append(Summary.of(g.values(r -> r.record().compression() == null ? Double.NaN
              : r.record().compression().paper())).format("%.2f")).append("</td><td>")
          .append(Summary.of(g.values(r -> r.record().metrics().top1BeforeFinetune() * 100)).format("%.2f"))
          .append("</td><td>").append(Summary.of(g.values(r -> r.record().metrics().top1() * 100)).format("%.2f"))
          .append("</td>");
      for (String p : presets) {
        h.append("<td>").append(Summary.of(g.values(r -> Figures.cost(r.record(), p, Figures.LATENCY)))
            .format(HtmlReport::sig)).append("</td><td>")
            .append(Summary.of(g.values(r -> Figures.cost(r.record(), p, Figures.ENERGY))).format(HtmlReport::sig))
            .append("</td>");
      }
      h.append("</tr>\n");
    }
    h.append("</table>\n");

    h.append("<h2 id=\"significance\">Is the difference real?</h2>\n<p>Final top-1 per seed, every pair of groups: "
        + "Welch's two-sided t-test (unequal variances), and the Mann-Whitney U test (normal approximation) as a "
        + "non-parametric check when both groups have at least ").append(SeedStatistics.MIN_MANN_WHITNEY)
        .append(" seeds; verdicts at alpha ").append(String.format(Locale.ROOT, "%.2f", SeedStatistics.ALPHA))
        .append(".</p>\n");
    if (comparisons.isEmpty()) {
      h.append("<p>Only one group: nothing to compare.</p>\n");
    } else {
      h.append("<table id=\"significance-table\">\n<tr><th class=\"l\">A</th><th class=\"l\">B</th><th>seeds A</th>"
          + "<th>seeds B</th><th>top-1 A</th><th>top-1 B</th><th>Welch p</th><th>Mann-Whitney p</th>"
          + "<th class=\"l\">verdict</th></tr>\n");
      for (Comparison c : comparisons) {
        h.append("<tr><td class=\"l\">").append(esc(c.a().label())).append("</td><td class=\"l\">")
            .append(esc(c.b().label())).append("</td><td>").append(c.a().runs().size()).append("</td><td>")
            .append(c.b().runs().size()).append("</td><td>")
            .append(Summary.of(c.a().values(r -> r.record().metrics().top1() * 100)).format("%.2f"))
            .append("</td><td>")
            .append(Summary.of(c.b().values(r -> r.record().metrics().top1() * 100)).format("%.2f"))
            .append("</td><td>").append(c.welchP() == null ? "-" : num(c.welchP(), "%.3g")).append("</td><td>")
            .append(c.mannWhitneyP() == null ? "-" : num(c.mannWhitneyP(), "%.3g")).append("</td><td class=\"l")
            .append(c.significant() ? " yes" : "").append("\">").append(esc(c.verdict())).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }

    Map<String, List<Figure>> sections = new LinkedHashMap<>();
    figures.forEach(f -> sections.computeIfAbsent(f.section(), k -> new ArrayList<>()).add(f));
    for (var e : sections.entrySet()) {
      h.append("<h2>").append(esc(e.getKey())).append("</h2>\n");
      for (Figure f : e.getValue()) {
        String base = Report.FIGURES + "/" + f.name();
        h.append("<figure id=\"fig-").append(esc(f.name())).append("\">\n<img src=\"").append(esc(base))
            .append(".png\" alt=\"").append(esc(f.chart().getTitle())).append("\" width=\"").append(Figures.WIDTH)
            .append("\" height=\"").append(Figures.HEIGHT).append("\">\n<figcaption>").append(esc(f.caption()))
            .append(" <a href=\"").append(esc(base)).append(".svg\">SVG</a> <a href=\"").append(esc(base))
            .append(".png\">PNG</a></figcaption>\n</figure>\n");
      }
    }
    h.append("<pre id=\"render-check\" hidden></pre>\n</body>\n</html>\n");
    return h.toString();
  }

  static List<String> presets(List<ReportRun> runs) {
    TreeSet<String> p = new TreeSet<>();
    for (ReportRun r : runs) {
      if (r.finished() && r.record().cost() != null) {
        r.record().cost().keySet().stream().filter(k -> !k.equals(Figures.SIZE)).forEach(p::add);
      }
    }
    return List.copyOf(p);
  }

  /** Four significant digits, no trailing zeros ("-" for NaN). */
  static String sig(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "-";
    }
    return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
  }

  private static String pct(double fraction) {
    return num(fraction * 100, "%.2f");
  }

  private static String num(Double v, String pattern) {
    return v == null || Double.isNaN(v) ? "-" : String.format(Locale.ROOT, pattern, v);
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
