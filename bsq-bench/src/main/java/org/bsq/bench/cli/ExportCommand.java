package org.bsq.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.core.config.ConfigBinder;
import org.bsq.core.config.ConfigException;
import org.bsq.core.engine.Model;
import org.bsq.core.export.LayerWeights;
import org.bsq.core.export.OnnxExport;
import org.bsq.core.export.QuantizedNetwork;
import org.bsq.core.export.RawExport;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.train.Checkpoint;
import org.bsq.data.DataSetInfo;
import org.bsq.data.DataSets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bsq export RUN_DIR --format onnx|raw}: the finished run's final model under its scheme, as an ONNX file
 * ({@link OnnxExport}) or as raw integer levels plus a manifest ({@link RawExport}); decision 0016.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Export a finished run's final model (RUN_DIR/model under its scheme, what bsq eval --run "
        + "evaluates): --format onnx writes one ONNX file (opset 13; weights as integer levels with per-layer "
        + "DequantizeLinear scales, activation quantizers as exact Mul/Div/Round compositions, per-layer bits in "
        + "metadata_props); --format raw writes a folder of little-endian integer levels and float32 tensors with "
        + "manifest.json."})
final class ExportCommand implements Callable<Integer> {
  static final String DEFAULT_ONNX = "export/model.onnx";
  static final String DEFAULT_RAW = "export/raw";

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "RUN_DIR", description = "A finished bsq run folder (run.json and model/).")
  Path run;

  @Option(names = "--format", paramLabel = "onnx|raw", required = true,
      description = "onnx: one .onnx file; raw: a folder of integer levels, float tensors and manifest.json.")
  String format;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Where to write: the .onnx file, or the raw export's folder (default: RUN_DIR/" + DEFAULT_ONNX
          + " or RUN_DIR/" + DEFAULT_RAW + ").")
  Path out;

  @Option(names = "--int8-weights",
      description = "ONNX: require int8 weight levels in every quantized layer (at most 7 bits; levels of 8-bit "
          + "layers reach +-255) and fail naming the layers that have more; by default they are stored as int32.")
  boolean int8Weights;

  @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (!format.equals("onnx") && !format.equals("raw")) {
      throw new UsageException("--format must be onnx or raw, was '" + format + "'");
    }
    if (int8Weights && format.equals("raw")) {
      throw new UsageException("--int8-weights applies to --format onnx (raw levels take the narrowest integer type "
          + "that holds them), was given with --format raw");
    }
    Path recordFile = run.resolve(Harness.RUN_JSON);
    Path modelDir = run.resolve(Harness.MODEL_DIR);
    if (!Files.isRegularFile(recordFile)) {
      throw new UsageException("RUN_DIR must be a finished run folder with " + Harness.RUN_JSON + ", was '" + run
          + "'");
    }
    RunRecord record = UsageException.usage(() -> Harness.readFinishedRecord(recordFile));
    if (record.scheme() == null || record.scheme().layers() == null || record.scheme().layers().isEmpty()) {
      throw new UsageException(recordFile + " must hold the run's scheme (scheme.layers), was missing");
    }
    if (!Checkpoint.exists(modelDir)) {
      throw new UsageException("RUN_DIR must hold the run's final model in " + modelDir + ", was missing");
    }
    ExperimentConfig cfg;
    try {
      cfg = ConfigBinder.bind(record.config().path("experiment"), ExperimentConfig.class,
          recordFile + " (config.experiment)");
    } catch (ConfigException e) {
      throw new UsageException(e.getMessage());
    }
    DataSetInfo info = DataSets.info(cfg.dataset().name());
    if (info == null) {
      throw new UsageException(recordFile + " names data set '" + cfg.dataset().name() + "', which must be one of "
          + DataSets.names());
    }
    Model model = ModelDataOptions.newModel(cfg.model().name(), info, cfg.model().activation(), cfg.model().actBits());
    QuantizedNetwork net = UsageException.usage(() -> {
      QuantizationScheme q = record.scheme().toQuantizationScheme();
      try {
        Harness.installFixedScheme(model, q);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the scheme of " + recordFile + " does not fit model '"
            + cfg.model().name() + "': " + e.getMessage(), e);
      }
      Checkpoint.read(modelDir).restoreParameters(model.parameters());
      return QuantizedNetwork.of(model, q);
    });
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("bsq.run.strategy", record.strategy());
    metadata.put("bsq.run.config_hash", String.valueOf(record.configHash()));
    metadata.put("bsq.run.seed", String.valueOf(record.seed()));
    metadata.put("bsq.run.avg_bits", String.valueOf(record.avgBits()));
    if (record.metrics() != null) {
      metadata.put("bsq.run.top1", String.valueOf(record.metrics().top1()));
    }
    metadata.put("bsq.dataset", cfg.dataset().name());
    metadata.put("bsq.eval_batch_size", String.valueOf(cfg.dataset().batchSize()));
    Path target = out != null ? out : run.resolve(format.equals("onnx") ? DEFAULT_ONNX : DEFAULT_RAW);
    String version = BsqCli.class.getPackage().getImplementationVersion();
    if (format.equals("onnx")) {
      if (Files.isDirectory(target)) {
        throw new UsageException("--out must be a file for --format onnx, was the folder '" + target + "'");
      }
      OnnxExport.Options options = new OnnxExport.Options(int8Weights, version, metadata);
      UsageException.usage(() -> { // checks everything (e.g. --int8-weights) before it writes
        OnnxExport.write(net, options, target);
        return null;
      });
    } else {
      UsageException.usage(() -> {
        RawExport.write(net, target, metadata);
        return null;
      });
    }
    Map<String, Integer> bits = new LinkedHashMap<>();
    for (LayerWeights w : net.layers().values()) {
      bits.put(w.name(), w.bits());
    }
    PrintWriter o = spec.commandLine().getOut();
    o.printf("exported run %s (strategy %s, %s, average %.3f weight bits) as %s: %s%n", run, record.strategy(),
        cfg.model().name(), record.avgBits(), format, target);
    o.printf("weight bits per layer: %s%n", bits);
    if (json) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("run", run.toString());
      j.put("format", format);
      j.put("out", target.toString());
      j.put("model", cfg.model().name());
      j.put("strategy", record.strategy());
      j.put("avgBits", record.avgBits());
      j.put("weightBits", bits);
      if (format.equals("onnx")) {
        j.put("opset", OnnxExport.OPSET);
        j.put("bytes", Files.size(target));
      }
      o.println(Json.line(j));
    }
    o.flush();
    return 0;
  }
}
