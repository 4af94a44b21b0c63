package org.bsq.bench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.graph.Shape;
import org.bsq.hwsim.Accelerator;
import org.bsq.hwsim.CostReport;
import org.bsq.hwsim.HwJson;
import org.bsq.hwsim.LayerResult;
import org.bsq.hwsim.LookupTable;
import org.bsq.hwsim.Presets;
import org.bsq.hwsim.SearchObjective;
import org.bsq.hwsim.Simulator;
import org.bsq.hwsim.Workload;
import org.bsq.hwsim.Workloads;
import org.bsq.models.ModelOptions;
import org.bsq.models.Models;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bsq simulate}: latency and energy of a network on an accelerator (bsq-hardware-sim). */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Latency and energy of a network on an accelerator: BitFusion-exact tiling search, bit-serial "
        + "presets (see: bsq list accelerators; docs/hardware-model.md).")
final class SimulateCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--accelerator", required = true, paramLabel = "NAME|FILE",
      description = "Preset name (bsq list accelerators) or a JSON accelerator config file.")
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
      description = "Uniform weight/activation bits for --model (default: ${DEFAULT-VALUE}).")
  String bits;

  @Option(names = "--input-bits", defaultValue = "8", paramLabel = "B",
      description = "Bits of the image the first layer reads (default: ${DEFAULT-VALUE}).")
  int inputBits;

  @Option(names = "--batch", defaultValue = "16", paramLabel = "N",
      description = "Batch size (default: ${DEFAULT-VALUE}, BitFusion's).")
  int batch;

  @Option(names = "--compat", paramLabel = "true|false", arity = "1",
      description = "Override BitFusion compatibility mode (preset default: bitfusion-e true, others false).")
  Boolean compat;

  @Option(names = "--objective", paramLabel = "latency|energy",
      description = "What the tiling search minimizes first (default: latency).")
  String objective;

  @Option(names = "--per-layer", description = "Print one row per layer.")
  boolean perLayer;

  @Option(names = "--json", description = "Print the cost report as one JSON object (last line of stdout).")
  boolean json;

  @Option(names = "--table", paramLabel = "FILE",
      description = "Also export a HAQ-style per-layer lookup table (bits x bits) to FILE (.csv or .json).")
  Path table;

  @Option(names = "--table-max-bits", defaultValue = "8", paramLabel = "B",
      description = "Bits 1..B in the lookup table (default: ${DEFAULT-VALUE}).")
  int tableMaxBits;

  @Override
  public Integer call() {
    if (batch < 1) {
      throw new UsageException("--batch must be >= 1, was " + batch);
    }
    Accelerator acc = accelerator();
    Workload workload = workload(acc.bitfusionCompat());
    Simulator sim = new Simulator(acc);
    CostReport report = UsageException.usage(() -> sim.price(workload));
    PrintWriter out = spec.commandLine().getOut();
    if (perLayer) {
      out.printf("%-26s %5s %13s %13s %11s %13s %10s %10s %10s %10s %-7s %s%n", "layer", "w/a", "MACs",
          "compute cyc", "stall cyc", "total cyc", "ms", "core uJ", "SRAM uJ", "DRAM uJ", "bound", "tiling");
      for (LayerResult r : report.layers()) {
        out.printf("%-26s %5s %13d %13d %11d %13d %10.4f %10.2f %10.2f %10.2f %-7s %s%n", r.name(),
            r.weightBits() + "/" + r.inputBits(), r.macs(), r.computeCycles(), r.stallCycles(), r.totalCycles(),
            r.latencyMs(), r.coreNj() * 1e-3, r.sramNj() * 1e-3, r.dramNj() * 1e-3, r.bound(),
            r.tiling() == null ? "-" : r.tiling().compact());
      }
    }
    out.printf("%s on %s%s (batch %d): %d cycles (%d compute, %d stall), %.4f ms/batch, %.4f ms/sample; "
            + "energy %.4f mJ (core %.4f, SRAM %.4f, DRAM %.4f)%n", workload.name(), acc.name(),
        acc.bitfusionCompat() ? " [BitFusion compat]" : "", report.batch(), report.totalCycles(),
        report.computeCycles(), report.stallCycles(), report.latencyMs(), report.latencyMsPerSample(),
        report.energyNj() * 1e-6, report.coreNj() * 1e-6, (report.wbufNj() + report.ibufNj() + report.obufNj()) * 1e-6,
        report.dramNj() * 1e-6);
    if (table != null) {
      LookupTable t = UsageException.usage(() -> LookupTable.build(sim, workload, tableMaxBits));
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
      out.println(HwJson.toJson(report));
    }
    out.flush();
    return 0;
  }

  private Accelerator accelerator() {
    Accelerator acc;
    Path file = Path.of(accelerator);
    if (accelerator.endsWith(".json") || (Files.isRegularFile(file) && !Presets.names().contains(accelerator))) {
      if (!Files.isRegularFile(file)) {
        throw new UsageException("--accelerator file '" + accelerator + "' does not exist");
      }
      acc = UsageException.usage(() -> HwJson.readAccelerator(file));
    } else {
      acc = UsageException.usage(() -> Presets.get(accelerator));
    }
    if (compat != null) {
      Accelerator base = acc;
      acc = UsageException.usage(() -> base.withCompat(compat));
    }
    if (objective != null) {
      SearchObjective o = switch (objective) {
        case "latency" -> SearchObjective.LATENCY;
        case "energy" -> SearchObjective.ENERGY;
        default -> throw new UsageException("--objective must be latency or energy, was '" + objective + "'");
      };
      Accelerator base = acc;
      acc = UsageException.usage(() -> base.withObjective(o));
    }
    return acc;
  }

  private Workload workload(boolean accCompat) {
    if (source.workload != null) {
      if (!Files.isRegularFile(source.workload)) {
        throw new UsageException("--workload file '" + source.workload + "' does not exist");
      }
      return UsageException.usage(() -> HwJson.readWorkload(source.workload)).withBatch(batch);
    }
    if (source.run != null) {
      return fromRun(source.run, accCompat);
    }
    int[] wa = parseBits(bits);
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

  static int[] parseBits(String s) {
    String[] p = s.split("/");
    try {
      if (p.length == 2) {
        return new int[] {Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim())};
      }
    } catch (NumberFormatException e) {
      // falls through to the usage error
    }
    throw new UsageException("--bits must be W/A (e.g. 4/8), was '" + s + "'");
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
