package org.bsq.bench.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bsq.bench.report.Figures.Figure;
import org.bsq.bench.store.ResultStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

class ReportTest {
  static final List<String> PARETO = List.of("pareto-avgbits", "pareto-latency-bitfusion-e",
      "pareto-energy-bitfusion-e", "pareto-latency-stripes", "pareto-energy-stripes");

  private static Figure figure(List<Figure> figures, String name) {
    return figures.stream().filter(f -> f.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no figure " + name + " in " + figures.stream().map(Figure::name)
            .toList()));
  }

  @Test
  void paretoChartsHaveOneLegendSeriesPerStrategyAndLabelledAxes() {
    Report.Contents c = Report.build(ReportFixtures.standard());
    List<Figure> figures = c.figures();
    for (String name : PARETO) {
      XYChart chart = (XYChart) figure(figures, name).chart();
      List<String> legend = chart.getSeriesMap().values().stream().filter(XYSeries::isShowInLegend)
          .map(XYSeries::getName).toList();
      assertEquals(List.of("bsq", "random", "uniform"), legend, name); // the failed haq run is not plotted
      assertEquals("top-1 accuracy (%)", chart.getYAxisTitle());
      assertFalse(chart.getXAxisTitle().isBlank());
    }
    XYChart bits = (XYChart) figure(figures, "pareto-avgbits").chart();
    assertEquals("average weight bits", bits.getXAxisTitle());
    assertEquals("latency on stripes (ms per image)",
        figure(figures, "pareto-latency-stripes").chart().getXAxisTitle());
    assertEquals("energy on bitfusion-e (mJ per image)",
        figure(figures, "pareto-energy-bitfusion-e").chart().getXAxisTitle());
    // bsq: one point, the mean of its three seeds, with one standard deviation as error bar
    XYSeries bsq = bits.getSeriesMap().get("bsq");
    assertArrayEquals(new double[] {3.8}, bsq.getXData(), 1e-9);
    assertArrayEquals(new double[] {(0.90 + 0.904 + 0.897) / 3 * 100}, bsq.getYData(), 1e-9);
    assertEquals(0.35118845842842, bsq.getExtraValues()[0], 1e-9);
    // uniform: 2 bits and 4 bits, neither dominates the other within the strategy: a two-point line
    assertArrayEquals(new double[] {2.0, 4.0}, bits.getSeriesMap().get("uniform").getXData(), 1e-9);
    assertEquals(XYSeries.XYSeriesRenderStyle.Line, bits.getSeriesMap().get("uniform").getXYSeriesRenderStyle());
  }

  @Test
  void hardwareAwareBsqIsASeriesOfItsOwn() {
    com.fasterxml.jackson.databind.node.ObjectNode latency = ReportFixtures.finished("bsq", 0, 0.80,
        new int[] {4, 4, 4}, "l");
    ((com.fasterxml.jackson.databind.node.ObjectNode) latency.at("/config/experiment/strategy/params"))
        .put("regularizerWeighting", "latency").put("weightingAccelerator", "unpu");
    List<ReportRun> runs = List.of(
        ReportFixtures.run("mem", ReportFixtures.finished("bsq", 0, 0.80, new int[] {5, 5, 5}, "m")),
        ReportFixtures.run("lat", latency));
    XYChart chart = (XYChart) figure(Report.build(runs).figures(), "pareto-avgbits").chart();
    assertEquals(List.of("bsq", "bsq latency@unpu"), List.copyOf(chart.getSeriesMap().keySet()));
    assertArrayEquals(new double[] {4.0}, chart.getSeriesMap().get("bsq latency@unpu").getXData(), 1e-9);
  }

  @Test
  void aDominatedPointIsAFaintSeriesOutsideTheLegend() {
    List<ReportRun> runs = List.of(
        ReportFixtures.run("a", ReportFixtures.finished("uniform", 0, 0.80, new int[] {4, 4, 4}, "w4")),
        ReportFixtures.run("b", ReportFixtures.finished("uniform", 0, 0.70, new int[] {5, 5, 5}, "w5")));
    XYChart chart = (XYChart) figure(Report.build(runs).figures(), "pareto-avgbits").chart();
    assertEquals(List.of("uniform", "uniform (dominated)"), List.copyOf(chart.getSeriesMap().keySet()));
    assertArrayEquals(new double[] {5.0}, chart.getSeriesMap().get("uniform (dominated)").getXData(), 1e-9);
    assertFalse(chart.getSeriesMap().get("uniform (dominated)").isShowInLegend());
    assertTrue(chart.getSeriesMap().get("uniform (dominated)").getMarkerColor().getAlpha() < 255);
  }

  @Test
  void perLayerBitsBitPlanesAndCurves() {
    List<Figure> figures = Report.build(ReportFixtures.standard()).figures();
    CategoryChart layers = (CategoryChart) figure(figures, "layer-bits-tiny-cnn").chart();
    assertEquals(10, layers.getSeriesMap().size()); // one per finished run
    assertEquals(List.of("conv1", "conv2", "fc"), layers.getSeriesMap().get("bsq-s0").getXData()); // counted only
    assertEquals(List.of(6, 3, 4), layers.getSeriesMap().get("bsq-s0").getYData());
    assertEquals("weight bits", layers.getYAxisTitle());
    assertEquals("layer", layers.getXAxisTitle());

    HeatMapChart planes = (HeatMapChart) figure(figures, "bitplanes-bsq-s0").chart();
    assertEquals(List.of("conv1", "conv2", "fc"), planes.getHeatMapSeries().getXData());
    assertEquals(6, planes.getHeatMapSeries().getYData().size()); // conv1 has 6 planes
    // conv2 (3 bits): MSB sparsest (10 %), LSB densest (90 %); plane 0 = least significant
    List<Number[]> heat = new ArrayList<>(planes.getHeatMapSeries().getHeatData());
    assertTrue(heat.stream().anyMatch(h -> h[0].intValue() == 1 && h[1].intValue() == 2
        && Math.abs(h[2].doubleValue() - 0.10) < 1e-9));
    assertTrue(heat.stream().anyMatch(h -> h[0].intValue() == 1 && h[1].intValue() == 0
        && Math.abs(h[2].doubleValue() - 0.90) < 1e-9));
    assertEquals(6 + 3 + 4, heat.size());
    assertTrue(figures.stream().noneMatch(f -> f.name().startsWith("bitplanes-uniform")));

    XYChart curves = (XYChart) figure(figures, "curves-bsq-s0").chart();
    assertEquals(List.of("train loss", "evaluated top-1", "regularizer / max", "average weight bits"),
        List.copyOf(curves.getSeriesMap().keySet()));
    assertArrayEquals(new double[] {1, 2, 3, 4, 5}, curves.getSeriesMap().get("train loss").getXData(), 1e-9);
    assertArrayEquals(new double[] {3, 4, 5}, curves.getSeriesMap().get("evaluated top-1").getXData(), 1e-9);
    assertArrayEquals(new double[] {8, 6, 3.8, 3.8, 3.8},
        curves.getSeriesMap().get("average weight bits").getYData(), 1e-9);
    assertEquals("epoch", curves.getXAxisTitle());
    assertEquals(List.of("train loss", "evaluated top-1", "average weight bits"),
        List.copyOf(((XYChart) figure(figures, "curves-uniform4-s0").chart()).getSeriesMap().keySet()));
  }

  @Test
  void everyFigureIsWrittenAsPngAndSvgAndTheHtmlReferencesOnlyExistingFiles(@TempDir Path tmp) throws Exception {
    List<ReportRun> runs = ReportFixtures.standard();
    Path html = Report.write(runs, tmp.resolve("out"));
    assertEquals(tmp.resolve("out").resolve("report.html"), html);
    Report.Contents c = Report.build(runs);
    for (Figure f : c.figures()) {
      Path png = tmp.resolve("out/figures/" + f.name() + ".png");
      Path svg = tmp.resolve("out/figures/" + f.name() + ".svg");
      byte[] head = Files.readAllBytes(png);
      assertEquals((byte) 0x89, head[0], png.toString());
      assertEquals("PNG", new String(head, 1, 3, StandardCharsets.US_ASCII));
      String svgText = Files.readString(svg);
      assertTrue(svgText.contains("<svg"), svg.toString());
      assertTrue(svgText.length() > 1000, svg.toString());
    }
    for (String name : PARETO) {
      assertTrue(Files.exists(tmp.resolve("out/figures/" + name + ".png")), name);
      assertTrue(Files.exists(tmp.resolve("out/figures/" + name + ".svg")), name);
    }
    String page = Files.readString(html);
    List<String> refs = new ArrayList<>();
    Matcher m = Pattern.compile("\\b(?:src|href)\\s*=\\s*\"([^\"]*)\"").matcher(page);
    while (m.find()) {
      refs.add(m.group(1));
    }
    assertEquals(2 * c.figures().size() + c.figures().size(), refs.size()); // img + SVG and PNG links
    for (String ref : refs) {
      assertFalse(ref.contains(":"), "only relative references: " + ref);
      assertTrue(Files.isRegularFile(html.getParent().resolve(ref)), ref);
    }
    assertFalse(page.contains("http://") || page.contains("https://"), "no network references");
    assertTrue(page.contains("<pre id=\"render-check\""));
    // the comparison table: one row per finished run, with its numbers
    assertTrue(page.contains("<tr class=\"run\"><td class=\"l\">bsq</td><td class=\"l\">bsq-s0</td><td>0</td><td>3.800</td>"
        + "<td>8.42x</td><td>92.00</td><td>80.00</td><td>90.00</td><td>0.038</td><td>0.076</td><td>0.076</td>"
        + "<td>0.038</td></tr>"), page);
    assertEquals(10, page.split("<tr class=\"run\">", -1).length - 1);
    // seeds pooled and significance with verdicts
    assertTrue(page.contains("<td class=\"l\">bsq</td><td>3</td><td class=\"l\">[0, 1, 2]</td><td>3.800 ± 0.000</td>"),
        page);
    assertTrue(page.contains("real difference at alpha 0.05: bsq is higher by"));
    assertTrue(page.contains("not testable: fewer than 2 seeds"));
    // the failed run is listed, escaped
    assertTrue(page.contains("haq-failed (haq, seed 0): finetune: java.lang.IllegalStateException: diverged "
        + "&lt;badly&gt;"), page);
  }

  @Test
  void aSecondReportReplacesTheFirstsFigures(@TempDir Path tmp) throws Exception {
    Report.write(ReportFixtures.standard(), tmp);
    Files.writeString(tmp.resolve("figures/notes.txt"), "mine");
    Report.write(List.of(ReportFixtures.run("u", ReportFixtures.finished("uniform", 0, 0.8, new int[] {4, 4, 4},
        "w4"))), tmp);
    assertFalse(Files.exists(tmp.resolve("figures/curves-bsq-s0.png")));
    assertTrue(Files.exists(tmp.resolve("figures/curves-u.png")));
    assertTrue(Files.exists(tmp.resolve("figures/notes.txt")));
  }

  @Test
  void labelsMustBeUniqueAndNamesAreSanitized() {
    ReportRun a = ReportFixtures.run("x", ReportFixtures.finished("bsq", 0, 0.9, new int[] {2, 2, 2}, "a"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Report.build(List.of(a, a)));
    assertEquals("run labels must be unique in a report, 'x' appears twice", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Report.build(List.of()));
    assertEquals("sweeps-x-run-3", Figures.sanitize("sweeps/X/run #3"));
    assertEquals("run", Figures.sanitize("///"));
    ReportRun b = ReportFixtures.run("a/b", ReportFixtures.finished("bsq", 1, 0.9, new int[] {2, 2, 2}, "a"));
    ReportRun b2 = ReportFixtures.run("a b", ReportFixtures.finished("bsq", 2, 0.9, new int[] {2, 2, 2}, "a"));
    List<String> names = Report.build(List.of(b, b2)).figures().stream().map(Figure::name)
        .filter(n -> n.startsWith("curves-")).toList();
    assertEquals(List.of("curves-a-b", "curves-a-b-2"), names);
  }

  @Test
  void runFoldersAreFoundAtAnyDepthSortedByPath(@TempDir Path tmp) throws Exception {
    Path sweep = tmp.resolve("sweep");
    ReportFixtures.write(sweep.resolve("b/run"), ReportFixtures.finished("bsq", 1, 0.9, new int[] {2, 2, 2}, "a"));
    ReportFixtures.write(sweep.resolve("a"), ReportFixtures.finished("bsq", 0, 0.9, new int[] {2, 2, 2}, "a"));
    ReportFixtures.write(tmp.resolve("single"), ReportFixtures.failed("haq", 3));
    List<ReportRun> runs = ReportInputs.fromFolders(List.of(sweep, tmp.resolve("single"), sweep.resolve("a")));
    assertEquals(List.of("sweep/a", "sweep/b/run", "single"), runs.stream().map(ReportRun::label).toList());
    assertEquals(sweep.resolve("b/run").toAbsolutePath(), runs.get(1).runDir());
    assertFalse(runs.get(2).finished());
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> ReportInputs.fromFolders(List.of(tmp.resolve("empty"))));
    assertTrue(none.getMessage().contains("does not exist"), none.getMessage());
    Files.createDirectories(tmp.resolve("empty"));
    none = assertThrows(IllegalArgumentException.class, () -> ReportInputs.fromFolders(List.of(tmp.resolve("empty"))));
    assertTrue(none.getMessage().startsWith("no run.json under "), none.getMessage());
  }

  @Test
  void runsComeFromAResultStoreThroughItsFilters(@TempDir Path tmp) throws Exception {
    ResultStore store = ResultStore.open(tmp.resolve("results.db").toString());
    store.index(ReportFixtures.write(tmp.resolve("runs/bsq1"),
        ReportFixtures.finished("bsq", 1, 0.9, new int[] {2, 2, 2}, "a")));
    store.index(ReportFixtures.write(tmp.resolve("runs/uni"),
        ReportFixtures.finished("uniform", 1, 0.8, new int[] {4, 4, 4}, "w4")));
    List<ReportRun> runs = ReportInputs.fromStore(store, List.of(ResultStore.Filter.parse("strategy=bsq")));
    assertEquals(1, runs.size());
    assertEquals("bsq1", runs.get(0).label());
    assertEquals(0.9, runs.get(0).record().metrics().top1(), 1e-12);
    assertEquals(2, ReportInputs.fromStore(store, List.of()).size());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReportInputs.fromStore(store, List.of(ResultStore.Filter.parse("strategy=haq"))));
    assertTrue(e.getMessage().startsWith("no run in the result store "), e.getMessage());
  }
}
