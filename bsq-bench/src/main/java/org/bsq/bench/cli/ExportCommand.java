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
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.train.Checkpoint;
import org.bsq.data.DataSetInfo;
import org.bsq.data.DataSets;
import org.bsq.models.dl4j.Dl4jModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bsq export}: a finished run's final model under its scheme as an ONNX file ({@link OnnxExport}), as raw
 * integer levels plus a manifest ({@link RawExport}) (decision 0016), or as a DeepLearning4J ComputationGraph zip with
 * the float-equivalent weights ({@link Dl4jModels}, decision 0017); the DL4J format also takes a model with weights
 * ({@code --model M --weights DIR|FILE [--weight-bits K]}) instead of a run.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Export a finished run's final model (RUN_DIR/model under its scheme, what bsq eval --run "
        + "evaluates): --format onnx writes one ONNX file (opset 13; weights as integer levels with per-layer "
        + "DequantizeLinear scales, activation quantizers as exact Mul/Div/Round compositions, per-layer bits in "
        + "metadata_props); --format raw writes a folder of little-endian integer levels and float32 tensors with "
        + "manifest.json; --format dl4j writes a DeepLearning4J ComputationGraph zip (ModelSerializer) with the "
        + "dequantized, float-equivalent weights (the last linear layer becomes a softmax output layer).",
        "--format dl4j also exports a model without a run: --model M --weights DIR|FILE [--weight-bits K]."})
final class ExportCommand implements Callable<Integer> {
  static final String DEFAULT_ONNX = "export/model.onnx";
  static final String DEFAULT_RAW = "export/raw";
  static final String DEFAULT_DL4J = "export/model-dl4j.zip";

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "RUN_DIR",
      description = "A finished bsq run folder (run.json and model/).")
  Path run;

  @Option(names = "--format", paramLabel = "onnx|raw|dl4j", required = true,
      description = "onnx: one .onnx file; raw: a folder of integer levels, float tensors and manifest.json; dl4j: a "
          + "DeepLearning4J ComputationGraph zip.")
  String format;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Where to write: the .onnx file, the raw export's folder or the DL4J zip (default: RUN_DIR/"
          + DEFAULT_ONNX + ", RUN_DIR/" + DEFAULT_RAW + " or RUN_DIR/" + DEFAULT_DL4J + "; required without RUN_DIR).")
  Path out;

  @Option(names = "--int8-weights",
      description = "ONNX: require int8 weight levels in every quantized layer (at most 7 bits; levels of 8-bit "
          + "layers reach +-255) and fail naming the layers that have more; by default they are stored as int32.")
  boolean int8Weights;

  @Option(names = "--model", paramLabel = "M",
      description = "DL4J without RUN_DIR: the model name (see: bsq list models), with --weights.")
  String model;

  @Option(names = "--dataset", paramLabel = "D", defaultValue = "cifar10",
      description = "DL4J without RUN_DIR: data set giving the input shape and classes of --model (default: "
          + "${DEFAULT-VALUE}).")
  String dataset;

  @Option(names = "--weights", paramLabel = "DIR|FILE",
      description = "DL4J without RUN_DIR: weights folder or PyTorch checkpoint file for --model.")
  Path weights;

  @Option(names = "--weight-bits", paramLabel = "K",
      description = "DL4J without RUN_DIR: quantize --weights to K bits in every counted layer first and export the "
          + "dequantized weights.")
  Integer weightBits;

  @Option(names = "--float-activations", description = "DL4J: export quantized ReLU6 activations as float ReLU6 "
      + "(DL4J has no activation quantizer); without it a model with quantized activations is refused.")
  boolean floatActivations;

  @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (!format.equals("onnx") && !format.equals("raw") && !format.equals("dl4j")) {
      throw new UsageException("--format must be onnx, raw or dl4j, was '" + format + "'");
    }
    if (int8Weights && !format.equals("onnx")) {
      throw new UsageException("--int8-weights applies to --format onnx (raw levels take the narrowest integer type "
          + "that holds them), was given with --format " + format);
    }
    if (floatActivations && !format.equals("dl4j")) {
      throw new UsageException("--float-activations applies to --format dl4j, was given with --format " + format);
    }
    boolean modelOptions = model != null || weights != null || weightBits != null;
    if (run != null && modelOptions) {
      throw new UsageException("export: RUN_DIR gives the model, weights and scheme, was also given --model, "
          + "--weights or --weight-bits");
    }
    if (run == null && !format.equals("dl4j")) {
      throw new UsageException("export --format " + format + " needs RUN_DIR, a finished bsq run folder");
    }
    return format.equals("dl4j") ? dl4j() : quantized();
  }

  /** ONNX or raw: the run's quantized model. */
  private int quantized() throws IOException {
    LoadedRun loaded = loadRun();
    RunRecord record = loaded.record();
    ExperimentConfig cfg = loaded.config();
    Path recordFile = run.resolve(Harness.RUN_JSON);
    QuantizedNetwork net = UsageException.usage(() -> QuantizedNetwork.of(loaded.model(), loaded.scheme()));
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

  /** DL4J: a run's final model, or a model with weights, with float-equivalent weights. */
  private int dl4j() throws IOException {
    Path target;
    Model m;
    String what;
    if (run != null) {
      target = out != null ? out : run.resolve(DEFAULT_DL4J);
      m = loadRun().model();
      what = "the final model of run " + run;
    } else {
      if (model == null || weights == null) {
        throw new UsageException("export --format dl4j needs RUN_DIR, or --model M and --weights DIR|FILE");
      }
      if (out == null) {
        throw new UsageException("export --format dl4j --model M needs --out FILE.zip (there is no run folder to "
            + "write into)");
      }
      target = out;
      ModelDataOptions.checkModelName(model);
      if (!Files.isDirectory(weights) && !Files.isRegularFile(weights)) {
        throw new UsageException("--weights must be a weights folder or a PyTorch checkpoint file, was '" + weights
            + "'");
      }
      if (weightBits != null && (weightBits < 1 || weightBits > 16)) {
        throw new UsageException("--weight-bits must be in [1, 16], was " + weightBits);
      }
      DataSetInfo info = UsageException.usage(() -> DataSets.info(dataset));
      m = ModelDataOptions.newModel(model, info, "relu", 0);
      ModelDataOptions.loadWeights(weights, m);
      if (weightBits != null) {
        Harness.installFixedScheme(m, QuantizationScheme.uniform(LayerInventory.of(m.graph()), weightBits, 0));
      }
      what = model + " with " + (weightBits != null ? "weights quantized to " + weightBits + " bits" : "float weights")
          + " from " + weights;
    }
    if (Files.exists(target)) {
      throw new UsageException("export: --out must not exist yet (nothing is overwritten), was '" + target + "'");
    }
    Path parent = target.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Model exported = m;
    UsageException.usage(() -> {
      Dl4jModels.write(exported, floatActivations, target);
      return null;
    });
    PrintWriter stdout = spec.commandLine().getOut();
    stdout.printf("exported %s to %s (DL4J ComputationGraph, %d nodes)%n", what, target, m.graph().size());
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("format", format);
      o.put("out", target.toString());
      o.put("model", m.graph().name());
      o.put("source", run != null ? run.toString() : weights.toString());
      o.put("weightBits", weightBits);
      o.put("nodes", m.graph().size());
      stdout.println(Json.line(o));
    }
    stdout.flush();
    return 0;
  }

  /** A finished run's final model with its scheme installed and its parameters restored. */
  private record LoadedRun(RunRecord record, ExperimentConfig config, Model model, QuantizationScheme scheme) {}

  private LoadedRun loadRun() {
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
    QuantizationScheme q = UsageException.usage(() -> {
      QuantizationScheme scheme = record.scheme().toQuantizationScheme();
      try {
        Harness.installFixedScheme(model, scheme);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the scheme of " + recordFile + " does not fit model '"
            + cfg.model().name() + "': " + e.getMessage(), e);
      }
      Checkpoint.read(modelDir).restoreParameters(model.parameters());
      return scheme;
    });
    return new LoadedRun(record, cfg, model, q);
  }
}
