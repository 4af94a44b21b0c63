package org.bsq.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.Shape;
import org.bsq.core.json.Json;
import org.bsq.data.DataSetInfo;
import org.bsq.data.DataSets;
import org.bsq.models.ModelOptions;
import org.bsq.models.Models;
import org.bsq.models.PretrainedWeights;
import org.bsq.models.dl4j.Dl4jModels;
import org.bsq.models.io.TorchCheckpoint;
import org.bsq.models.io.TorchStateDict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bsq import}: a PyTorch checkpoint (zip or legacy pickle, read without executing pickled code) or a
 * DeepLearning4J ModelSerializer zip into a weights folder (raw float32 + manifest.json) that {@code --weights}
 * reads.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = {"Import a PyTorch checkpoint (.pth, .pth.tar: zip or legacy format; its state dict, 'module.' "
        + "prefix stripped; pickled code is never run, unknown globals are refused) or a DeepLearning4J model zip "
        + "(ModelSerializer; conv, batch norm, ReLU, global average pooling, dense, residual add) into a weights "
        + "folder (raw float32 + manifest.json) for --weights. Everything is read and checked before DIR is written."})
final class ImportCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "PyTorch checkpoint or DL4J model zip.")
  Path file;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Weights folder to write (must be new or empty).")
  Path out;

  @Option(names = "--model", paramLabel = "M",
      description = "Check that the weights fit model M (see: bsq list models) for --dataset's input and classes.")
  String model;

  @Option(names = "--dataset", paramLabel = "D", defaultValue = "cifar10",
      description = "Data set whose input shape and class count --model is built for; also the input shape of a "
          + "DL4J model, which does not store it (default: ${DEFAULT-VALUE}).")
  String dataset;

  @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
  boolean json;

  @Override
  public Integer call() {
    if (!Files.isRegularFile(file)) {
      throw new UsageException("import: FILE must be an existing file, was '" + file + "'");
    }
    DataSetInfo info = UsageException.usage(() -> DataSets.info(dataset));
    if (model != null) {
      ModelDataOptions.checkModelName(model);
    }
    checkOut();
    PrintWriter stdout = spec.commandLine().getOut();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("source", file.toString());
    summary.put("out", out.toString());
    if (Dl4jModels.looksLikeDl4jZip(file)) {
      importDl4j(info, summary, stdout);
    } else if (TorchCheckpoint.looksLikeCheckpoint(file)) {
      importTorch(info, summary, stdout);
    } else {
      throw new UsageException("import: FILE must be a PyTorch checkpoint (zip or legacy pickle) or a DL4J "
          + "ModelSerializer zip (configuration.json + coefficients.bin), was '" + file + "'");
    }
    if (json) {
      stdout.println(Json.line(summary));
    }
    stdout.flush();
    return 0;
  }

  private void importTorch(DataSetInfo info, Map<String, Object> summary, PrintWriter stdout) {
    TorchCheckpoint ckpt = UsageException.usage(() -> TorchCheckpoint.read(file));
    List<TorchStateDict.Entry> tensors = UsageException.usage(() ->
        TorchStateDict.modelTensors(TorchStateDict.find(ckpt)));
    if (model != null) {
      Model m = ModelDataOptions.newModel(model, info, "relu", 0);
      UsageException.usage(() -> {
        PretrainedWeights.loadCheckpoint(file, m.parameters());
        return null;
      });
    }
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("source_checkpoint", file.toAbsolutePath().normalize().toString());
    meta.put("source_format", "pytorch-" + ckpt.format());
    meta.put("source_sha256", sha256(file));
    meta.put("checkpoint_metadata", TorchStateDict.metadata(ckpt));
    if (model != null) {
      meta.put("model", model);
    }
    PretrainedWeights.save(out, tensors, meta);
    summary.put("format", "pytorch-" + ckpt.format());
    summary.put("tensors", tensors.size());
    summary.put("checkpointMetadata", TorchStateDict.metadata(ckpt));
    summary.put("model", model);
    stdout.printf("imported %d tensors from %s (PyTorch %s format%s) into %s%s%n", tensors.size(), file,
        ckpt.format(), TorchStateDict.metadata(ckpt).isEmpty() ? "" : ", " + TorchStateDict.metadata(ckpt), out,
        model != null ? "; they fit model " + model : "");
  }

  private void importDl4j(DataSetInfo info, Map<String, Object> summary, PrintWriter stdout) {
    Shape input = info.inputShape();
    Dl4jModels.Imported imported = UsageException.usage(() -> Dl4jModels.read(file, input));
    Graph g = imported.model().graph();
    List<String> matches = new ArrayList<>();
    for (String name : Models.names()) {
      Graph known;
      try {
        known = Models.create(name, new ModelOptions(input, g.numClasses(), org.bsq.core.graph.ActivationSpec.relu()));
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (Dl4jModels.sameLayers(known, g)) {
        matches.add(name);
      }
    }
    if (model != null && !matches.contains(model)) {
      throw new UsageException("import: the DL4J model in " + file + " (" + g.size() + " nodes, " + g.numClasses()
          + " classes, input " + input + ") must have the layers of model " + model + ", has other ones"
          + (matches.isEmpty() ? "" : " (it matches " + matches + ")"));
    }
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("source_model", file.toAbsolutePath().normalize().toString());
    meta.put("source_format", "dl4j");
    meta.put("source_sha256", sha256(file));
    meta.put("input_shape", List.of(input.channels(), input.height(), input.width()));
    meta.put("matching_models", matches);
    meta.put("import_notes", imported.notes());
    PretrainedWeights.save(out, imported.model().parameters(), meta);
    summary.put("format", "dl4j");
    summary.put("tensors", imported.model().parameters().size());
    summary.put("matchingModels", matches);
    summary.put("notes", imported.notes());
    stdout.printf("imported %d tensors from %s (DL4J, %d nodes, input %s) into %s%n",
        imported.model().parameters().size(), file, g.size(), input, out);
    imported.notes().forEach(n -> stdout.println("  note: " + n));
    stdout.println(matches.isEmpty()
        ? "  no named model has these layers: use it from Java (org.bsq.models.dl4j.Dl4jModels.read)"
        : "  the layers of model " + String.join(", ", matches) + ": use --model " + matches.get(0) + " --weights "
            + out);
  }

  private void checkOut() {
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new UsageException("import: --out must be a new or empty folder, is a file: '" + out + "'");
    }
    if (Files.isDirectory(out)) {
      try (Stream<Path> s = Files.list(out)) {
        long n = s.count();
        if (n > 0) {
          throw new UsageException("import: --out must be a new or empty folder, '" + out + "' holds " + n
              + " entries (nothing is overwritten)");
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + out, e);
      }
    }
  }

  private static String sha256(Path file) {
    try {
      return org.bsq.core.provenance.Digests.sha256Label(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

}
