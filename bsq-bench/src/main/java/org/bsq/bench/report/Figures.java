package org.bsq.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import org.bsq.bench.report.ParetoFront.Point;
import org.bsq.bench.report.SeedStatistics.SeedGroup;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.train.EpochRecord;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's charts (XChart objects, so tests can inspect series and axes) and their PNG and SVG files. Every
 * builder sets {@code java.awt.headless=true} before touching AWT.
 */
public final class Figures {
  /** Width and height of every chart, pixels. */
  static final int WIDTH = 900;
  static final int HEIGHT = 540;
  /** Key of the run record's cost map that is a size summary, not an accelerator preset. */
  static final String SIZE = "size";
  static final String LATENCY = "latencyMsPerImage";
  static final String ENERGY = "energyMjPerImage";
  /** Colors per strategy (in the order of the sorted strategy names), repeated when there are more strategies. */
  private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
      new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
      new Color(0xbcbd22), new Color(0x17becf)};

  private Figures() {}

  /**
   * One chart of the report.
   *
   * @param name the file name without extension ({@code NAME.png} and {@code NAME.svg})
   * @param section the report section it belongs to
   * @param caption one sentence under the figure
   * @param chart the XChart object
   */
  public record Figure(String name, String section, String caption, Chart<?, ?> chart) {}

  /**
   * A cost axis of the Pareto plots.
   *
   * @param fileName the figure's file name
   * @param axisTitle the x-axis title
   * @param value the run's cost, NaN where it has none
   */
  public record CostAxis(String fileName, String axisTitle, ToDoubleFunction<RunRecord> value) {}

  /** Sets {@code java.awt.headless=true} unless the process chose otherwise; call before any AWT use. */
  static void headless() {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** Lower-case letters, digits, '.', '_' and '-' only (others become '-'), never empty. */
  public static String sanitize(String name) {
    String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-").replaceAll("-{2,}", "-")
        .replaceAll("^[-.]+|[-.]+$", "");
    return s.isEmpty() ? "run" : s;
  }

  /** Every figure of a report, in the order the report shows them; file names are unique. */
  public static List<Figure> all(List<ReportRun> runs, List<SeedGroup> groups) {
    List<Figure> out = new ArrayList<>();
    out.addAll(pareto(groups));
    out.addAll(layerBits(runs));
    out.addAll(bitPlanes(runs));
    out.addAll(curves(runs));
    java.util.Set<String> names = new java.util.HashSet<>();
    List<Figure> unique = new ArrayList<>();
    for (Figure f : out) {
      String n = f.name();
      for (int i = 2; !names.add(n); i++) {
        n = f.name() + "-" + i; // two labels that sanitize alike
      }
      unique.add(new Figure(n, f.section(), f.caption(), f.chart()));
    }
    return List.copyOf(unique);
  }

  /** The cost axes: average weight bits, then latency and energy on every priced preset (sorted by name). */
  public static List<CostAxis> costAxes(List<ReportRun> runs) {
    List<CostAxis> axes = new ArrayList<>();
    axes.add(new CostAxis("pareto-avgbits", "average weight bits",
        r -> r.avgBits() == null ? Double.NaN : r.avgBits()));
    TreeSet<String> presets = new TreeSet<>();
    for (ReportRun r : runs) {
      if (r.finished() && r.record().cost() != null) {
        r.record().cost().keySet().stream().filter(k -> !k.equals(SIZE)).forEach(presets::add);
      }
    }
    for (String p : presets) {
      axes.add(new CostAxis("pareto-latency-" + sanitize(p), "latency on " + p + " (ms per image)",
          r -> cost(r, p, LATENCY)));
      axes.add(new CostAxis("pareto-energy-" + sanitize(p), "energy on " + p + " (mJ per image)",
          r -> cost(r, p, ENERGY)));
    }
    return List.copyOf(axes);
  }

  static double cost(RunRecord r, String preset, String key) {
    Map<String, Double> c = r.cost() == null ? null : r.cost().get(preset);
    Double v = c == null ? null : c.get(key);
    return v == null ? Double.NaN : v;
  }

  /**
   * Top-1 against each cost axis, one legend series per strategy (hardware-aware BSQ apart, {@link #series}): a seed
   * group is one point (means over its seeds,
   * error bars of one standard deviation of top-1); each strategy's non-dominated points are its series, drawn as a
   * line with markers; its dominated points are a faint, legend-less series named {@code STRATEGY (dominated)}. An
   * axis no run has a value for is left out. Runs of several models or data sets get one set of plots each, named
   * {@code pareto-...-MODEL-DATASET}; with one, the names are {@code pareto-avgbits}, {@code pareto-latency-PRESET},
   * {@code pareto-energy-PRESET}.
   */
  public static List<Figure> pareto(List<SeedGroup> groups) {
    headless();
    Map<String, List<SeedGroup>> byTask = new LinkedHashMap<>();
    groups.forEach(g -> byTask.computeIfAbsent(task(g.runs().get(0).record()), k -> new ArrayList<>()).add(g));
    List<Figure> out = new ArrayList<>();
    for (var e : byTask.entrySet()) {
      out.addAll(pareto(e.getValue(), byTask.size() == 1 ? "" : "-" + sanitize(e.getKey()),
          byTask.size() == 1 ? "" : " (" + e.getKey() + ")"));
    }
    return List.copyOf(out);
  }

  /** {@code MODEL-DATASET} of a run's resolved configuration. */
  static String task(RunRecord r) {
    var n = r.config() == null ? null : r.config().path("experiment").path("dataset").path("name");
    return model(r) + "-" + (n == null || !n.isTextual() ? "dataset" : n.asText());
  }

  private static List<Figure> pareto(List<SeedGroup> groups, String suffix, String titleSuffix) {
    List<ReportRun> runs = groups.stream().flatMap(g -> g.runs().stream()).toList();
    List<String> strategies = new ArrayList<>(new TreeSet<>(groups.stream().map(Figures::series).toList()));
    List<Figure> out = new ArrayList<>();
    for (CostAxis axis : costAxes(runs)) {
      Map<String, List<Point>> points = new LinkedHashMap<>();
      for (SeedGroup g : groups) {
        SeedStatistics.Summary x = SeedStatistics.Summary.of(g.values(r -> axis.value().applyAsDouble(r.record())));
        SeedStatistics.Summary y = SeedStatistics.Summary.of(g.values(r -> r.record().metrics().top1() * 100));
        if (x.n() > 0 && y.n() > 0) {
          points.computeIfAbsent(series(g), k -> new ArrayList<>())
              .add(new Point(x.mean(), y.mean(), Double.isNaN(y.sd()) ? 0 : y.sd(), g.label()));
        }
      }
      if (points.isEmpty()) {
        continue;
      }
      XYChart chart = new XYChart(WIDTH, HEIGHT);
      chart.setTitle("Top-1 vs " + axis.axisTitle() + titleSuffix);
      chart.setXAxisTitle(axis.axisTitle());
      chart.setYAxisTitle("top-1 accuracy (%)");
      style(chart);
      chart.getStyler().setXAxisDecimalPattern("#,##0.####"); // ticks at data values print as 5.19, not 5.187556...
      chart.getStyler().setYAxisDecimalPattern("0.##");
      for (String s : strategies) {
        List<Point> ps = points.get(s);
        if (ps == null) {
          continue;
        }
        Color c = PALETTE[strategies.indexOf(s) % PALETTE.length];
        List<Point> front = ParetoFront.front(ps);
        XYSeries f = chart.addSeries(s, front.stream().mapToDouble(Point::x).toArray(),
            front.stream().mapToDouble(Point::y).toArray(), front.stream().mapToDouble(Point::ySd).toArray());
        f.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        f.setLineColor(c);
        f.setMarkerColor(c);
        f.setMarker(SeriesMarkers.CIRCLE);
        List<Point> rest = ps.stream().filter(p -> !front.contains(p)).toList();
        if (!rest.isEmpty()) {
          XYSeries d = chart.addSeries(s + " (dominated)", rest.stream().mapToDouble(Point::x).toArray(),
              rest.stream().mapToDouble(Point::y).toArray(), rest.stream().mapToDouble(Point::ySd).toArray());
          d.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
          d.setMarkerColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 90));
          d.setMarker(SeriesMarkers.CIRCLE);
          d.setShowInLegend(false);
        }
      }
      out.add(new Figure(axis.fileName() + suffix, "Pareto fronts", "Top-1 after finetuning against "
          + axis.axisTitle() + titleSuffix
          + "; lines join each strategy's non-dominated points, faint markers are dominated ones, error bars one "
          + "standard deviation over seeds.", chart));
    }
    return List.copyOf(out);
  }

  /**
   * A Pareto series: the strategy, and for hardware-aware BSQ its weighting ({@code bsq latency@unpu}, decision
   * 0015), so that memory- and hardware-weighted BSQ get their own fronts.
   */
  static String series(SeedGroup g) {
    RunRecord r = g.runs().get(0).record();
    var params = r.config() == null ? null : r.config().path("experiment").path("strategy").path("params");
    if (params == null || !params.path("regularizerWeighting").isTextual()) {
      return g.strategy();
    }
    return g.strategy() + " " + params.path("regularizerWeighting").asText() + "@"
        + params.path("weightingAccelerator").asText();
  }

  /** The model's name in a run's resolved configuration ("model" when absent). */
  static String model(RunRecord r) {
    var n = r.config() == null ? null : r.config().path("experiment").path("model").path("name");
    return n == null || !n.isTextual() ? "model" : n.asText();
  }

  /** Weight bits per counted layer, one figure per model ({@code layer-bits-MODEL}), one bar series per finished run. */
  public static List<Figure> layerBits(List<ReportRun> runs) {
    headless();
    Map<String, List<ReportRun>> byModel = new LinkedHashMap<>();
    runs.stream().filter(r -> r.finished() && r.record().scheme() != null && !r.record().scheme().layers().isEmpty())
        .forEach(r -> byModel.computeIfAbsent(model(r.record()), k -> new ArrayList<>()).add(r));
    List<Figure> out = new ArrayList<>();
    for (var e : byModel.entrySet()) {
      List<String> layers = e.getValue().get(0).record().scheme().layers().stream().filter(RunRecord.Layer::counted)
          .map(RunRecord.Layer::name).toList();
      CategoryChart chart = new CategoryChart(WIDTH, HEIGHT);
      chart.setTitle("Weight bits per layer (" + e.getKey() + ")");
      chart.setXAxisTitle("layer");
      chart.setYAxisTitle("weight bits");
      style(chart);
      chart.getStyler().setXAxisLabelRotation(90);
      chart.getStyler().setOverlapped(false);
      chart.getStyler().setYAxisDecimalPattern("0");
      for (ReportRun r : e.getValue()) {
        Map<String, Integer> bits = new LinkedHashMap<>();
        r.record().scheme().layers().forEach(l -> bits.put(l.name(), l.weightBits()));
        List<Integer> y = layers.stream().map(l -> bits.getOrDefault(l, 0)).toList();
        CategorySeries s = chart.addSeries(r.label(), layers, y);
        s.setFillColor(PALETTE[(chart.getSeriesMap().size() - 1) % PALETTE.length]);
      }
      out.add(new Figure("layer-bits-" + sanitize(e.getKey()), "Per-layer bits",
          "Weight bits per counted layer of " + e.getKey() + " (0 = pruned; projection shortcuts, not counted by the "
          + "paper metric, are left out), one bar per run.", chart));
    }
    return List.copyOf(out);
  }

  /**
   * BSQ's bit-plane sparsity: per run whose details record per-layer plane statistics ({@code details.layers[]
   * .weightNonZeroPercent}, MSB first, taken after BSQ's final re-quantization and precision adjustment), a heat map
   * of layer by bit plane (0 = least significant) to the fraction of weights whose plane bit {@code p - n} is
   * non-zero. Planes a layer no longer has are left blank.
   */
  public static List<Figure> bitPlanes(List<ReportRun> runs) {
    headless();
    List<Figure> out = new ArrayList<>();
    for (ReportRun r : runs) {
      List<PlaneRow> rows = planeRows(r);
      if (!r.finished() || rows.isEmpty()) {
        continue;
      }
      int maxBits = rows.stream().mapToInt(p -> p.fractions().size()).max().orElse(0);
      if (maxBits == 0) {
        continue;
      }
      List<String> x = rows.stream().map(PlaneRow::layer).toList();
      List<String> y = new ArrayList<>();
      for (int b = 0; b < maxBits; b++) {
        y.add("bit " + b);
      }
      List<Number[]> heat = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        List<Double> f = rows.get(i).fractions();
        for (int k = 0; k < f.size(); k++) {
          int plane = f.size() - 1 - k; // MSB first in the record
          heat.add(new Number[] {i, plane, Math.round(f.get(k) * 100) / 100.0}); // shown with 2 digits
        }
      }
      // the builder sets the styler's theme (the plain constructor leaves its range colours null)
      HeatMapChart chart = new org.knowm.xchart.HeatMapChartBuilder().width(WIDTH).height(HEIGHT).build();
      chart.setTitle("Bit-plane density, " + r.label());
      chart.setXAxisTitle("layer");
      chart.setYAxisTitle("bit plane (0 = least significant)");
      chart.getStyler().setChartBackgroundColor(Color.WHITE);
      chart.getStyler().setXAxisLabelRotation(90);
      chart.getStyler().setMin(0).setMax(1);
      chart.getStyler().setShowValue(true);
      chart.getStyler().setValueFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 10));
      chart.getStyler().setValueFontColor(Color.BLACK);
      chart.getStyler().setRangeColors(new Color[] {new Color(0xf7fbff), new Color(0x6baed6), new Color(0x08306b)});
      chart.addSeries("non-zero fraction", x, y, heat);
      out.add(new Figure("bitplanes-" + sanitize(r.label()), "Bit-plane sparsity", "Fraction of non-zero bits "
          + "per layer and bit plane of " + r.label() + " after BSQ's final re-quantization (blank: plane dropped).",
          chart));
    }
    return List.copyOf(out);
  }

  /** A layer's per-plane non-zero fractions, MSB first. */
  record PlaneRow(String layer, List<Double> fractions) {}

  static List<PlaneRow> planeRows(ReportRun r) {
    Map<String, Object> d = r.record().details();
    if (d == null || !(d.get("layers") instanceof List<?> layers)) {
      return List.of();
    }
    List<PlaneRow> rows = new ArrayList<>();
    for (Object o : layers) {
      if (o instanceof Map<?, ?> m && m.get("layer") != null && m.get("weightNonZeroPercent") instanceof List<?> l) {
        rows.add(new PlaneRow(m.get("layer").toString(),
            l.stream().map(v -> ((Number) v).doubleValue() / 100.0).toList()));
      }
    }
    return rows;
  }

  /**
   * Training curves per run with epochs ({@code curves-RUN}): the strategy's epochs, then the finetuning's, numbered
   * on; training loss, evaluated top-1 (fraction; on the split each phase evaluated), the regularizer (training
   * objective minus loss, divided by its largest value) on the left axis, average weight bits on the right axis (BSQ's
   * {@code details.averageBitsPerEpoch} during its epochs, the final scheme's during finetuning).
   */
  public static List<Figure> curves(List<ReportRun> runs) {
    headless();
    List<Figure> out = new ArrayList<>();
    for (ReportRun r : runs) {
      RunRecord.Trajectory t = r.record().trajectory();
      if (!r.finished() || t == null) {
        continue;
      }
      List<EpochRecord> strategy = t.strategy() == null ? List.of() : t.strategy();
      List<EpochRecord> finetune = t.finetune() == null ? List.of() : t.finetune();
      if (strategy.isEmpty() && finetune.isEmpty()) {
        continue;
      }
      List<EpochRecord> all = new ArrayList<>(strategy);
      all.addAll(finetune);
      List<Double> avgBits = averageBitsPerEpoch(r.record(), strategy.size(), finetune.size());
      List<Double> epochs = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        epochs.add(i + 1.0);
      }
      XYChart chart = new XYChart(WIDTH, HEIGHT);
      chart.setTitle("Training curves, " + r.label() + " (epochs 1-" + strategy.size() + ": strategy, then "
          + finetune.size() + " finetuning)");
      chart.setXAxisTitle("epoch");
      chart.setYAxisTitle("loss, top-1, relative regularizer");
      chart.setYAxisGroupTitle(1, "average weight bits");
      style(chart);
      chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
      line(chart, "train loss", epochs, all.stream().map(EpochRecord::trainLoss).toList(), 0);
      line(chart, "evaluated top-1", epochs, all.stream().map(EpochRecord::testTop1).toList(), 0);
      List<Double> reg = all.stream().map(e -> e.trainObjective() - e.trainLoss()).toList();
      double maxReg = reg.stream().mapToDouble(Double::doubleValue).filter(v -> !Double.isNaN(v)).max().orElse(0);
      if (maxReg > 0) {
        line(chart, "regularizer / max", epochs, reg.stream().map(v -> v / maxReg).toList(), 0);
      }
      if (avgBits.stream().anyMatch(v -> !Double.isNaN(v))) {
        line(chart, "average weight bits", epochs, avgBits, 1);
      }
      out.add(new Figure("curves-" + sanitize(r.label()), "Training curves", "Per-epoch training loss, evaluated "
          + "top-1, regularizer (relative to its largest value; left axis) and average weight bits (right axis) of "
          + r.label() + ".", chart));
    }
    return List.copyOf(out);
  }

  static List<Double> averageBitsPerEpoch(RunRecord r, int strategyEpochs, int finetuneEpochs) {
    List<Double> out = new ArrayList<>();
    Object per = r.details() == null ? null : r.details().get("averageBitsPerEpoch");
    for (int i = 0; i < strategyEpochs; i++) {
      out.add(per instanceof List<?> l && i < l.size() && l.get(i) instanceof Number n ? n.doubleValue()
          : Double.NaN);
    }
    for (int i = 0; i < finetuneEpochs; i++) {
      out.add(r.avgBits() == null ? Double.NaN : r.avgBits());
    }
    return out;
  }

  private static void line(XYChart chart, String name, List<Double> x, List<Double> y, int axisGroup) {
    List<Double> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    for (int i = 0; i < x.size(); i++) {
      if (!Double.isNaN(y.get(i)) && !Double.isInfinite(y.get(i))) {
        xs.add(x.get(i));
        ys.add(y.get(i));
      }
    }
    if (xs.isEmpty()) {
      return;
    }
    XYSeries s = chart.addSeries(name, xs, ys);
    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    s.setMarker(SeriesMarkers.CIRCLE);
    s.setLineStyle(new BasicStroke(1.5f));
    s.setYAxisGroup(axisGroup);
  }

  private static void style(Chart<? extends org.knowm.xchart.style.AxesChartStyler, ?> chart) {
    org.knowm.xchart.style.AxesChartStyler st = chart.getStyler();
    st.setChartBackgroundColor(Color.WHITE);
    st.setPlotBackgroundColor(Color.WHITE);
    st.setLegendPosition(Styler.LegendPosition.OutsideE);
    st.setPlotGridLinesColor(new Color(0xdddddd));
  }

  /**
   * Writes {@code DIR/NAME.png} and {@code DIR/NAME.svg}.
   *
   * @return the two files
   */
  public static List<Path> write(Figure figure, Path dir) {
    headless();
    Path png = dir.resolve(figure.name() + ".png");
    Path svg = dir.resolve(figure.name() + ".svg");
    try {
      Files.createDirectories(dir);
      try (OutputStream o = Files.newOutputStream(png)) {
        BitmapEncoder.saveBitmap(figure.chart(), o, BitmapEncoder.BitmapFormat.PNG);
      }
      try (OutputStream o = Files.newOutputStream(svg)) {
        VectorGraphicsEncoder.saveVectorGraphic(figure.chart(), o, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write figure " + figure.name() + " to " + dir, e);
    }
    return List.of(png, svg);
  }
}
