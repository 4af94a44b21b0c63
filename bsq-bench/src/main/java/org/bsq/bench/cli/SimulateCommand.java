package org.bsq.bench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.graph.Shape;
import org.bsq.hwsim.Accelerator;
import org.bsq.hwsim.AcceleratorCostModel;
import org.bsq.hwsim.CostReport;
import org.bsq.hwsim.HwJson;
import org.bsq.hwsim.LayerResult;
import org.bsq.hwsim.LookupTable;
import org.bsq.hwsim.Presets;
import org.bsq.hwsim.SearchObjective;
import org.bsq.hwsim.Simulator;
import org.bsq.hwsim.Workload;
import org.bsq.hwsim.WorkloadLayer;
import org.bsq.hwsim.Workloads;
import org.bsq.models.ModelOptions;
import org.bsq.models.Models;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bsq simulate}: latency and energy of a network on an accelerator (bsq-hardware-sim), or one comparison table
 * of several accelerators relative to the fixed 8-bit {@value #BASELINE} preset.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Latency and energy of a network on an accelerator: BitFusion-exact tiling search, bit-serial "
        + "presets (see: bsq list accelerators; docs/hardware-model.md). Several accelerators (a comma list, or all) "
        + "print one table relative to the int8 preset.")
final class SimulateCommand implements Callable<Integer> {
  /** The preset every comparison is relative to: the fixed 8-bit design. */
  static final String BASELINE = "int8";
  /** The value of {@code --accelerator} that stands for every preset. */
  static final String ALL = "all";

  @Spec
  CommandSpec spec;

  @Option(names = "--accelerator", required = true, paramLabel = "NAME|FILE[,...]|all",
      description = "Preset name (bsq list accelerators), a JSON accelerator config file, a comma list of them, or "
          + "all (every preset). Several print one table with latency and energy relative to the int8 preset.")
  String accelerator;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(names = "--workload", paramLabel = "FILE", description = "Workload JSON (layers with shapes and bits).")
    Path workload;

    @Option(names = "--model", paramLabel = "M",
        description = "Model name (bsq list models) or built-in workload (resnet18-imagenet, bitfusion-alexnet, ...).")
    String model;

    @Option(names = "--run", paramLabel = "run.json",
        description = "A run's JSON with scheme.layers[].name/weightBits/activationBits and model.")
    Path run;
  }

  @Option(names = "--bits", defaultValue = "8/8", paramLabel = "W/A",
      description = "Uniform weight/activation bits for --model, each in [1, 32] (default: ${DEFAULT-VALUE}).")
  String bits;

  @Option(names = "--input-bits", defaultValue = "8", paramLabel = "B",
      description = "Bits of the image the first layer reads, in [1, 32] (default: ${DEFAULT-VALUE}).")
  int inputBits;

  @Option(names = "--batch", defaultValue = "16", paramLabel = "N",
      description = "Batch size (default: ${DEFAULT-VALUE}, BitFusion's).")
  int batch;

  @Option(names = "--compat", paramLabel = "true|false", arity = "1",
      description = "Override BitFusion compatibility mode of every listed accelerator (preset default: bitfusion-e "
          + "true, others false).")
  Boolean compat;

  @Option(names = "--objective", paramLabel = "latency|energy",
      description = "What the tiling search minimizes first, on every accelerator and the int8 baseline (default: "
          + "latency).")
  String objective;

  @Option(names = "--per-layer", description = "Print one row per layer (one block per accelerator).")
  boolean perLayer;

  @Option(names = "--json", description = "Print the cost report as one JSON object (last line of stdout); with "
      + "several accelerators the comparison (baseline, and per accelerator its report and ratios).")
  boolean json;

  @Option(names = "--table", paramLabel = "FILE",
      description = "Also export a HAQ-style per-layer lookup table (bits x bits) to FILE (.csv or .json); one "
          + "accelerator only.")
  Path table;

  @Option(names = "--table-max-bits", defaultValue = "8", paramLabel = "B",
      description = "Bits 1..B in the lookup table, B in [1, 32] (default: ${DEFAULT-VALUE}).")
  int tableMaxBits;

  /** An accelerator priced on its workload (the simulator keeps its cache for the lookup table). */
  private record Priced(Simulator simulator, Workload workload, CostReport report) {
    Accelerator accelerator() {
      return simulator.accelerator();
    }
  }

  @Override
  public Integer call() {
    if (batch < 1) {
      throw new UsageException("--batch must be >= 1, was " + batch);
    }
    int[] wa = parseBits(bits);
    requireBitsInRange("--input-bits", inputBits, "");
    requireBitsInRange("--table-max-bits", tableMaxBits, "");
    List<Accelerator> accs = accelerators();
    if (table != null && accs.size() > 1) {
      throw new UsageException("--table exports the lookup table of one accelerator, was given " + accs.size() + " "
          + accs.stream().map(Accelerator::name).toList() + "; run it once per accelerator");
    }
    // Every workload is built and every bit-width checked before anything is priced or printed.
    Map<Boolean, Workload> byCompat = new HashMap<>();
    List<Accelerator> toPrice = new ArrayList<>(accs);
    Accelerator baseline = accs.size() > 1 ? baseline() : null;
    if (baseline != null && !accs.contains(baseline)) {
      toPrice.add(baseline);
    }
    Map<Accelerator, Workload> workloads = new LinkedHashMap<>();
    for (Accelerator acc : toPrice) {
      Workload w = byCompat.computeIfAbsent(acc.bitfusionCompat(), c -> workload(c, wa));
      requirePriceable(acc, w);
      workloads.put(acc, w);
    }
    if (table != null && tableMaxBits > accs.get(0).maxOperandBits()) {
      Accelerator acc = accs.get(0);
      throw new UsageException("--table-max-bits on " + acc.name() + compatNote(acc) + " must be <= "
          + acc.maxOperandBits() + ", was " + tableMaxBits + compatHint(acc));
    }
    Map<Accelerator, Priced> priced = new LinkedHashMap<>();
    workloads.forEach((acc, w) -> {
      Simulator sim = new Simulator(acc);
      priced.put(acc, new Priced(sim, w, UsageException.usage(() -> sim.price(w))));
    });
    PrintWriter out = spec.commandLine().getOut();
    if (accs.size() == 1) {
      single(priced.get(accs.get(0)), out);
    } else {
      compare(accs.stream().map(priced::get).toList(), priced.get(baseline), accs.contains(baseline), out);
    }
    out.flush();
    return 0;
  }

  /** One accelerator: the summary line, optional per-layer rows, lookup table and JSON report (unchanged output). */
  private void single(Priced p, PrintWriter out) {
    if (perLayer) {
      printLayers(p.report(), out);
    }
    printSummary(p, out);
    if (table != null) {
      LookupTable t = UsageException.usage(() -> LookupTable.build(p.simulator(), p.workload(), tableMaxBits));
      try {
        if (table.toString().endsWith(".json")) {
          HwJson.write(table, t.toJsonMap());
        } else {
          Path parent = table.toAbsolutePath().getParent();
          if (parent != null) {
            Files.createDirectories(parent);
          }
          Files.writeString(table, t.toCsv());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + table + ": " + e.getMessage(), e);
      }
      out.printf("lookup table (%d layers x %d x %d bits) written to %s%n", t.layers(), tableMaxBits, tableMaxBits,
          table);
    }
    if (json) {
      out.println(HwJson.toJson(p.report()));
    }
  }

  /**
   * Several accelerators: with {@code --per-layer} one block per accelerator (its rows and summary line), then one
   * table with a row per accelerator, its latency and energy divided by the baseline's; with {@code --json} one
   * object {@code {workload, batch, baseline, baselineListed, baselineLatencyMs, baselineEnergyNj, accelerators:
   * [{name, latencyRatio, energyRatio, report}]}} (a ratio is null when the baseline's value is 0).
   */
  private void compare(List<Priced> rows, Priced base, boolean baseListed, PrintWriter out) {
    if (perLayer) {
      for (Priced p : rows) {
        out.printf("%s:%n", p.accelerator().name());
        printLayers(p.report(), out);
        printSummary(p, out);
        out.println();
      }
    }
    CostReport b = base.report();
    out.printf("%s (batch %d) on %d accelerators; ratios are latency and energy divided by %s's (the fixed 8-bit "
            + "baseline%s)%n",
        base.workload().name(), b.batch(), rows.size(), BASELINE,
        baseListed ? "" : ", not listed: priced on the same workload for this table");
    int width = "accelerator".length();
    for (Priced p : rows) {
      width = Math.max(width, label(p.accelerator()).length());
    }
    out.printf("%-" + width + "s %12s %12s %12s %13s %13s%n", "accelerator", "ms/batch", "ms/sample", "energy mJ",
        "latency/" + BASELINE, "energy/" + BASELINE);
    List<Map<String, Object>> entries = new ArrayList<>();
    for (Priced p : rows) {
      CostReport r = p.report();
      double lat = ratio(r.latencyMs(), b.latencyMs());
      double energy = ratio(r.energyNj(), b.energyNj());
      out.printf("%-" + width + "s %12.4f %12.4f %12.4f %13s %13s%n", label(p.accelerator()), r.latencyMs(),
          r.latencyMsPerSample(), r.energyMj(), times(lat), times(energy));
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", p.accelerator().name());
      e.put("latencyRatio", Double.isNaN(lat) ? null : lat);
      e.put("energyRatio", Double.isNaN(energy) ? null : energy);
      e.put("report", r);
      entries.add(e);
    }
    for (Priced p : rows) {
      if (!p.workload().equals(base.workload())) {
        out.printf("note: %s prices another workload than %s (BitFusion compatibility mode prices full-precision "
            + "weights at 8 bits)%n", p.accelerator().name(), BASELINE);
      }
    }
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workload", base.workload().name());
      o.put("batch", b.batch());
      o.put("baseline", BASELINE);
      o.put("baselineListed", baseListed);
      o.put("baselineLatencyMs", b.latencyMs());
      o.put("baselineEnergyNj", b.energyNj());
      o.put("accelerators", entries);
      out.println(HwJson.toJson(o));
    }
  }

  private static String label(Accelerator acc) {
    return acc.name() + (acc.bitfusionCompat() ? " [compat]" : "");
  }

  /** {@code value / base}, NaN when the baseline costs nothing (every layer pruned). */
  private static double ratio(double value, double base) {
    return base == 0 ? Double.NaN : value / base;
  }

  private static String times(double ratio) {
    return Double.isNaN(ratio) ? "-" : String.format(java.util.Locale.ROOT, "%.2fx", ratio);
  }

  private static void printLayers(CostReport report, PrintWriter out) {
    out.printf("%-26s %5s %13s %13s %11s %13s %10s %10s %10s %10s %-7s %s%n", "layer", "w/a", "MACs",
        "compute cyc", "stall cyc", "total cyc", "ms", "core uJ", "SRAM uJ", "DRAM uJ", "bound", "tiling");
    for (LayerResult r : report.layers()) {
      out.printf("%-26s %5s %13d %13d %11d %13d %10.4f %10.2f %10.2f %10.2f %-7s %s%n", r.name(),
          r.weightBits() + "/" + r.inputBits(), r.macs(), r.computeCycles(), r.stallCycles(), r.totalCycles(),
          r.latencyMs(), r.coreNj() * 1e-3, r.sramNj() * 1e-3, r.dramNj() * 1e-3, r.bound(),
          r.tiling() == null ? "-" : r.tiling().compact());
    }
  }

  private static void printSummary(Priced p, PrintWriter out) {
    CostReport report = p.report();
    Accelerator acc = p.accelerator();
    out.printf("%s on %s%s (batch %d): %d cycles (%d compute, %d stall), %.4f ms/batch, %.4f ms/sample; "
            + "energy %.4f mJ (core %.4f, SRAM %.4f, DRAM %.4f)%n", p.workload().name(), acc.name(),
        acc.bitfusionCompat() ? " [BitFusion compat]" : "", report.batch(), report.totalCycles(),
        report.computeCycles(), report.stallCycles(), report.latencyMs(), report.latencyMsPerSample(),
        report.energyNj() * 1e-6, report.coreNj() * 1e-6, (report.wbufNj() + report.ibufNj() + report.obufNj()) * 1e-6,
        report.dramNj() * 1e-6);
  }

  /**
   * The listed accelerators in order, {@code all} expanded to every preset, each configured with {@code --compat}
   * and {@code --objective}. Empty entries and an accelerator listed twice (by its name) are usage errors.
   */
  private List<Accelerator> accelerators() {
    Map<String, String> givenAs = new HashMap<>();
    List<Accelerator> out = new ArrayList<>();
    for (String part : accelerator.split(",", -1)) {
      String entry = part.trim();
      if (entry.isEmpty()) {
        throw new UsageException("--accelerator entries must be preset names, files or " + ALL + " separated by "
            + "commas, was '" + accelerator + "' (an empty entry)");
      }
      for (String one : entry.equals(ALL) ? Presets.names() : List.of(entry)) {
        Accelerator acc = configure(resolve(one));
        String before = givenAs.putIfAbsent(acc.name(), entry);
        if (before != null) {
          throw new UsageException("--accelerator must list each accelerator once, was '" + acc.name()
              + "' twice (from '" + before + "' and '" + entry + "' in '" + accelerator + "')");
        }
        out.add(acc);
      }
    }
    return out;
  }

  private static Accelerator resolve(String entry) {
    Path file = Path.of(entry);
    if (entry.endsWith(".json") || (Files.isRegularFile(file) && !Presets.names().contains(entry))) {
      if (!Files.isRegularFile(file)) {
        throw new UsageException("--accelerator file '" + entry + "' does not exist");
      }
      return UsageException.usage(() -> HwJson.readAccelerator(file));
    }
    return UsageException.usage(() -> Presets.get(entry));
  }

  private Accelerator configure(Accelerator acc) {
    Accelerator configured = acc;
    if (compat != null) {
      Accelerator base = configured;
      configured = UsageException.usage(() -> base.withCompat(compat));
    }
    SearchObjective o = objective();
    if (o != null) {
      Accelerator base = configured;
      configured = UsageException.usage(() -> base.withObjective(o));
    }
    return configured;
  }

  /** The {@value #BASELINE} preset with {@code --objective} ({@code --compat} does not apply: it has no such mode). */
  private Accelerator baseline() {
    Accelerator base = Presets.get(BASELINE);
    SearchObjective o = objective();
    return o == null ? base : base.withObjective(o);
  }

  private SearchObjective objective() {
    if (objective == null) {
      return null;
    }
    return switch (objective) {
      case "latency" -> SearchObjective.LATENCY;
      case "energy" -> SearchObjective.ENERGY;
      default -> throw new UsageException("--objective must be latency or energy, was '" + objective + "'");
    };
  }

  /**
   * Fails before pricing when a layer is wider than the accelerator can price ({@link Accelerator#maxOperandBits}:
   * 8 bits in BitFusion compatibility mode), naming the layer and where its bits came from.
   */
  private void requirePriceable(Accelerator acc, Workload w) {
    int max = acc.maxOperandBits();
    for (WorkloadLayer l : w.layers()) {
      if (l.weightBits() > max || l.inputBits() > max) {
        String from = source.model != null ? "--bits " + bits + ", --input-bits " + inputBits
            : source.workload != null ? "--workload " + source.workload : "--run " + source.run;
        throw new UsageException("bits on " + acc.name() + compatNote(acc) + " must be <= " + max + ", was w"
            + l.weightBits() + "/a" + l.inputBits() + " in layer '" + l.name() + "' (from " + from + ")"
            + compatHint(acc));
      }
    }
  }

  private static String compatNote(Accelerator acc) {
    return acc.bitfusionCompat() ? " (BitFusion compatibility mode)" : "";
  }

  private static String compatHint(Accelerator acc) {
    return acc.bitfusionCompat() ? "; use --compat false for wider operands" : "";
  }

  private Workload workload(boolean accCompat, int[] wa) {
    if (source.workload != null) {
      if (!Files.isRegularFile(source.workload)) {
        throw new UsageException("--workload file '" + source.workload + "' does not exist");
      }
      return UsageException.usage(() -> HwJson.readWorkload(source.workload)).withBatch(batch);
    }
    if (source.run != null) {
      return fromRun(source.run, accCompat);
    }
    if (Workloads.names().contains(source.model)) {
      return UsageException.usage(() -> Workloads.byName(source.model, batch, wa[0], wa[1]));
    }
    LayerInventory inv = inventory(source.model);
    return UsageException.usage(() -> Workload.uniform(inv, batch, wa[0], wa[1], inputBits));
  }

  private static LayerInventory inventory(String model) {
    if (!Models.names().contains(model)) {
      throw new UsageException("unknown model '" + model + "'; known: " + Models.names() + " and built-in workloads "
          + Workloads.names());
    }
    ModelOptions options = model.equals("small-cnn")
        ? new ModelOptions(new Shape(1, 28, 28), 10, ActivationSpec.relu()) : ModelOptions.cifar10();
    return UsageException.usage(() -> Models.inventory(model, options));
  }

  /**
   * {@code W/A} with both in [1, {@value WorkloadLayer#MAX_BITS}] (what the simulator prices; a 0-bit weight means a
   * pruned layer, which only a per-layer scheme can express, and a 0-bit activation means nothing).
   */
  static int[] parseBits(String s) {
    String[] p = s.split("/");
    int[] wa = null;
    try {
      if (p.length == 2) {
        wa = new int[] {Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim())};
      }
    } catch (NumberFormatException e) {
      // falls through to the usage error
    }
    if (wa == null) {
      throw new UsageException("--bits must be W/A (e.g. 4/8), was '" + s + "'");
    }
    requireBitsInRange("--bits weight bits", wa[0], " in '" + s + "'" + (wa[0] == 0 ? " (0-bit weights mean a pruned "
        + "layer: price a scheme with pruned layers through --run or --workload)" : ""));
    requireBitsInRange("--bits activation bits", wa[1], " in '" + s + "'");
    return wa;
  }

  private static void requireBitsInRange(String subject, int value, String context) {
    if (value < 1 || value > WorkloadLayer.MAX_BITS) {
      throw new UsageException(subject + " must be in [1, " + WorkloadLayer.MAX_BITS + "], was " + value + context);
    }
  }

  /**
   * The scheme of a {@code bsq run} record: model and data set from {@code config.experiment}, bits from
   * {@code scheme.layers}, mapped as the harness's accelerator pricing does ({@link AcceleratorCostModel}).
   */
  private Workload fromRun(Path run, boolean compat) {
    if (!Files.isRegularFile(run)) {
      throw new UsageException("--run file '" + run + "' does not exist");
    }
    org.bsq.core.harness.RunRecord record;
    try {
      record = org.bsq.core.harness.Harness.readRecord(run);
    } catch (RuntimeException e) {
      throw new UsageException("--run file '" + run + "' is not a run record: " + e.getMessage());
    }
    JsonNode experiment = record.config() == null ? null : record.config().path("experiment");
    if (record.scheme() == null || experiment == null || experiment.path("model").path("name").isMissingNode()) {
      throw new UsageException("--run file '" + run + "' must be a run.json written by 'bsq run' (scheme.layers and "
          + "config.experiment.model/dataset)");
    }
    String model = experiment.path("model").path("name").asText();
    org.bsq.data.DataSetInfo data = UsageException.usage(
        () -> org.bsq.data.DataSets.info(experiment.path("dataset").path("name").asText()));
    ModelOptions options = new ModelOptions(data.inputShape(), data.numClasses(), ActivationSpec.relu());
    LayerInventory inv = UsageException.usage(() -> Models.inventory(model, options));
    org.bsq.core.quant.QuantizationScheme scheme = record.scheme().toQuantizationScheme();
    return UsageException.usage(() -> AcceleratorCostModel.workload(scheme, inv, batch, compat));
  }
}
