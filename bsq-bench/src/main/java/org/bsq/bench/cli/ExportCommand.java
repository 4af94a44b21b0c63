package org.bsq.bench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.core.config.ConfigBinder;
import org.bsq.core.config.ConfigException;
import org.bsq.core.engine.Model;
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
import picocli.CommandLine.Spec;

/**
 * {@code bsq export}: a model to a DeepLearning4J ComputationGraph zip (ModelSerializer) with its float-equivalent
 * weights: float weights as they are, or under a scheme (a finished run's final model, or {@code --weight-bits K})
 * the dequantized weights the quantized model computes with.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Export a model to a DeepLearning4J ComputationGraph zip (ModelSerializer): float weights "
        + "(--model, --weights), the same quantized to K bits (--weight-bits), or a finished run's finetuned model "
        + "(--run DIR) with its dequantized, float-equivalent weights. The last linear layer becomes a softmax "
        + "output layer."})
final class ExportCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", paramLabel = "M", description = "Model name (see: bsq list models), with --weights.")
  String model;

  @Option(names = "--dataset", paramLabel = "D", defaultValue = "cifar10",
      description = "Data set giving the input shape and classes of --model (default: ${DEFAULT-VALUE}).")
  String dataset;

  @Option(names = "--weights", paramLabel = "DIR|FILE",
      description = "Weights folder or PyTorch checkpoint file for --model.")
  Path weights;

  @Option(names = "--weight-bits", paramLabel = "K",
      description = "Quantize --weights to K bits in every counted layer first and export the dequantized weights.")
  Integer weightBits;

  @Option(names = "--run", paramLabel = "DIR", description = "A finished bsq run folder: exports its final model "
      + "(DIR/model) under its scheme.")
  Path run;

  @Option(names = "--float-activations", description = "Export quantized ReLU6 activations as float ReLU6 (DL4J "
      + "has no activation quantizer); without it a model with quantized activations is refused.")
  boolean floatActivations;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "The zip to write (must not exist).")
  Path out;

  @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
  boolean json;

  @Override
  public Integer call() {
    if (Files.exists(out)) {
      throw new UsageException("export: --out must not exist yet (nothing is overwritten), was '" + out + "'");
    }
    Model m;
    String what;
    if (run != null) {
      if (model != null || weights != null || weightBits != null) {
        throw new UsageException("export: --run DIR takes the model, weights and scheme from the run, was also given "
            + "--model, --weights or --weight-bits");
      }
      m = runModel();
      what = "the final model of run " + run;
    } else {
      if (model == null || weights == null) {
        throw new UsageException("export needs --model M and --weights DIR|FILE (or --run DIR)");
      }
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
    Model exported = m;
    UsageException.usage(() -> {
      Dl4jModels.write(exported, floatActivations, out);
      return null;
    });
    PrintWriter stdout = spec.commandLine().getOut();
    stdout.printf("exported %s to %s (DL4J ComputationGraph, %d nodes)%n", what, out, m.graph().size());
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("out", out.toString());
      o.put("model", m.graph().name());
      o.put("source", run != null ? run.toString() : weights.toString());
      o.put("weightBits", weightBits);
      o.put("nodes", m.graph().size());
      stdout.println(Json.line(o));
    }
    stdout.flush();
    return 0;
  }

  private Model runModel() {
    Path recordFile = run.resolve(Harness.RUN_JSON);
    Path modelDir = run.resolve(Harness.MODEL_DIR);
    if (!Files.isRegularFile(recordFile)) {
      throw new UsageException("--run needs a finished run folder with " + Harness.RUN_JSON + ", was '" + run + "'");
    }
    RunRecord record = UsageException.usage(() -> Harness.readFinishedRecord(recordFile));
    if (!Checkpoint.exists(modelDir)) {
      throw new UsageException("--run needs the run's final model in " + modelDir);
    }
    JsonNode experiment = record.config().path("experiment");
    ExperimentConfig cfg;
    try {
      cfg = ConfigBinder.bind(experiment, ExperimentConfig.class, recordFile + " (config.experiment)");
    } catch (ConfigException e) {
      throw new UsageException(e.getMessage());
    }
    DataSetInfo info = UsageException.usage(() -> DataSets.info(cfg.dataset().name()));
    Model m = ModelDataOptions.newModel(cfg.model().name(), info, cfg.model().activation(), cfg.model().actBits());
    Harness.installFixedScheme(m, record.scheme().toQuantizationScheme());
    UsageException.usage(() -> {
      Checkpoint.read(modelDir).restoreParameters(m.parameters());
      return null;
    });
    return m;
  }
}
