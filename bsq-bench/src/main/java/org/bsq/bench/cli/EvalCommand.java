package org.bsq.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Model;
import org.bsq.core.json.Json;
import org.bsq.core.train.EvaluationResult;
import org.bsq.core.train.Evaluator;
import org.bsq.data.DataLoader;
import org.bsq.data.DataSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bsq eval}: evaluates saved weights on a data set's test split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Evaluate weights (raw-float32 + manifest.json folder) on the test split: top-1, top-5, loss.")
final class EvalCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ModelDataOptions common = new ModelDataOptions();

  @Option(names = "--weights", required = true, paramLabel = "DIR",
      description = "Weights folder (e.g. ../shared/data/pretrained/resnet20-cifar10-fp32, or OUT/weights of bsq train).")
  Path weights;

  @Option(names = "--batch-size", defaultValue = "128", paramLabel = "B",
      description = "Evaluation batch size (default: ${DEFAULT-VALUE}). Quantized activations depend on it.")
  int batchSize;

  @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Evaluate only the first N test images.")
  int limit;

  @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
  boolean json;

  @Override
  public Integer call() {
    common.validate();
    if (batchSize < 1) {
      throw new UsageException("--batch-size must be >= 1, was " + batchSize);
    }
    if (limit < 0) {
      throw new UsageException("--limit must be >= 0 (0 = whole test split), was " + limit);
    }
    if (!Files.isDirectory(weights)) {
      throw new UsageException("--weights must be a folder, was '" + weights + "'");
    }
    PrintWriter out = spec.commandLine().getOut();
    DataSet data = common.loadData();
    Model model = common.newModel(data.info());
    ModelDataOptions.loadWeights(weights, model);
    Backend backend = common.backend();
    int n = limit == 0 ? data.test().size() : limit;
    DataLoader test = data.testLoader(batchSize, n);
    EvaluationResult r = Evaluator.evaluate(backend, model, test);
    out.printf("%s on %s test (%d images, batch %d, %s, backend %s): top-1 %.2f %%, top-5 %.2f %%, loss %.4f, %.1f s%n",
        common.model, common.dataset, r.samples(), batchSize,
        common.actBits > 0 ? common.actBits + "-bit activations" : common.activation, backend.name(), 100 * r.top1(),
        100 * r.top5(), r.loss(), r.seconds());
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("model", common.model);
      o.put("dataset", common.dataset);
      o.put("weights", weights.toString());
      o.put("activation", common.activation);
      o.put("actBits", common.actBits);
      o.put("batchSize", batchSize);
      o.put("backend", backend.name());
      o.put("top1", r.top1());
      o.put("top5", r.top5());
      o.put("loss", r.loss());
      o.put("samples", r.samples());
      o.put("seconds", r.seconds());
      out.println(Json.line(o));
    }
    out.flush();
    return 0;
  }
}
