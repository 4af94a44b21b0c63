package org.bsq.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.bsq.bench.report.Figures.Figure;
import org.bsq.bench.report.SeedStatistics.Comparison;
import org.bsq.bench.report.SeedStatistics.SeedGroup;

/**
 * {@code bsq report}'s entry point: one self-contained {@value #HTML} (opens from disk; no server, no network) with
 * the comparison table, seed statistics, significance tests and figures, each figure as PNG and SVG under
 * {@value #FIGURES}/ (docs/decisions/0011-report.md).
 *
 * <pre>{@code
 * List<ReportRun> runs = ReportInputs.fromFolders(List.of(Path.of("runs/cmp")));
 * Path html = Report.write(runs, Path.of("runs/report"));
 * }</pre>
 */
public final class Report {
  /** The page's file name in the output folder. */
  public static final String HTML = "report.html";
  /** The figures' folder in the output folder. */
  public static final String FIGURES = "figures";
  /** File-name prefixes of the figures a report writes (stale ones of an earlier report are removed). */
  static final List<String> FIGURE_PREFIXES = List.of("pareto-", "layer-bits-", "bitplanes-", "curves-");

  private Report() {}

  /**
   * What a report holds, before anything is written.
   *
   * @param runs the runs, in input order
   * @param groups finished runs pooled over seeds
   * @param comparisons every pair of groups compared on final top-1
   * @param figures the charts
   */
  public record Contents(List<ReportRun> runs, List<SeedGroup> groups, List<Comparison> comparisons,
                         List<Figure> figures) {}

  /**
   * Builds the report's contents: seed groups, comparisons and charts.
   *
   * @throws IllegalArgumentException no runs, or two runs with the same label
   */
  public static Contents build(List<ReportRun> runs) {
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("a report needs at least one run");
    }
    Set<String> labels = new HashSet<>();
    for (ReportRun r : runs) {
      if (!labels.add(r.label())) {
        throw new IllegalArgumentException("run labels must be unique in a report, '" + r.label() + "' appears twice");
      }
    }
    Figures.headless();
    List<SeedGroup> groups = SeedStatistics.groups(runs);
    return new Contents(List.copyOf(runs), groups, SeedStatistics.compareAll(groups), Figures.all(runs, groups));
  }

  /**
   * Writes {@code outDir/report.html} and {@code outDir/figures/NAME.png|svg} for the runs (failed runs are listed,
   * not plotted); creates {@code outDir} when missing, replaces an earlier report's page and figures there.
   *
   * @param runs the runs to report, labels unique (see {@link ReportInputs} to collect them)
   * @param outDir the output folder
   * @return the written {@code report.html}
   * @throws IllegalArgumentException no runs, or two runs with the same label
   */
  public static Path write(List<ReportRun> runs, Path outDir) {
    Contents c = build(runs);
    Path figures = outDir.resolve(FIGURES);
    try {
      Files.createDirectories(figures);
      removeStaleFigures(figures);
      for (Figure f : c.figures()) {
        Figures.write(f, figures);
      }
      Path html = outDir.resolve(HTML);
      Files.writeString(html, HtmlReport.html(c.runs(), c.groups(), c.comparisons(), c.figures()),
          StandardCharsets.UTF_8);
      return html;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report to " + outDir, e);
    }
  }

  private static void removeStaleFigures(Path figures) throws IOException {
    try (Stream<Path> s = Files.list(figures)) {
      for (Path p : s.toList()) {
        String n = p.getFileName().toString();
        if (Files.isRegularFile(p) && (n.endsWith(".png") || n.endsWith(".svg"))
            && FIGURE_PREFIXES.stream().anyMatch(n::startsWith)) {
          Files.delete(p);
        }
      }
    }
  }
}
