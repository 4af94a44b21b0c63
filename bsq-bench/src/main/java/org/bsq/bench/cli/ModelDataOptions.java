package org.bsq.bench.cli;

import java.nio.file.Path;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Backends;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.Shape;
import org.bsq.data.DataSet;
import org.bsq.data.DataSetInfo;
import org.bsq.data.DataSets;
import org.bsq.models.ModelOptions;
import org.bsq.models.Models;
import org.bsq.models.PretrainedWeights;
import picocli.CommandLine.Option;

/** Options shared by the commands that build a model for a data set. */
final class ModelDataOptions {
  @Option(names = "--model", paramLabel = "M", description = "Model name (see: bsq list models). Required.")
  String model;

  @Option(names = "--dataset", paramLabel = "D", description = "Data set name (see: bsq list datasets). Required.")
  String dataset;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Folder with the data set files (CIFAR-10: cifar-10-batches-bin/ or cifar-10-binary.tar.gz).")
  Path dataDir;

  @Option(names = "--download",
      description = "Download the data set's official archive into --data-dir when its files are missing "
          + "(CIFAR-10: cifar-10-binary.tar.gz, md5-checked). Off by default: nothing is downloaded unless asked.")
  boolean download;

  @Option(names = "--download-from", paramLabel = "URL",
      description = "With --download: fetch the archive from this mirror instead of the official address (it must "
          + "have the official md5).")
  java.net.URI downloadFrom;

  @Option(names = "--activation", defaultValue = "relu", paramLabel = "relu|relu6",
      description = "Block activation: relu or relu6 (default: ${DEFAULT-VALUE}; --act-bits > 0 needs relu6).")
  String activation;

  @Option(names = "--act-bits", defaultValue = "0", paramLabel = "K",
      description = "Quantize block activations to K bits (0 = none; ReLU6 above 3 bits, PACT at 3 or fewer).")
  int actBits;

  @Option(names = "--backend", defaultValue = "auto", paramLabel = "B",
      description = "Compute backend: onednn, reference or auto (default: ${DEFAULT-VALUE}).")
  String backend;

  /** Validates names before any heavy work, so usage errors come first. */
  void validate() {
    if (model == null) {
      throw new UsageException("Missing required option: '--model=M'");
    }
    if (dataset == null) {
      throw new UsageException("Missing required option: '--dataset=D'");
    }
    UsageException.usage(() -> DataSets.info(dataset));
    checkModelName(model);
    checkBackendName(backend);
    UsageException.usage(() -> ModelOptions.blockActivation(activation, actBits));
    DataSetInfo info = DataSets.info(dataset);
    if (info.needsDataDir() && dataDir == null) {
      throw new UsageException("data set '" + dataset + "' needs --data-dir DIR (the folder holding its files)");
    }
    if (downloadFrom != null && !download) {
      throw new UsageException("--download-from is used with --download, was given alone");
    }
    if (downloadFrom != null && !"http".equals(downloadFrom.getScheme()) && !"https".equals(downloadFrom.getScheme())) {
      throw new UsageException("--download-from must be an http(s) URL, was '" + downloadFrom + "'");
    }
  }

  DataSet loadData() {
    return DataSets.load(dataset, dataDir, download, downloadFrom);
  }

  Graph graph(DataSetInfo info) {
    ModelOptions options = options(info.inputShape(), info.numClasses(), activation, actBits);
    return UsageException.usage(() -> Models.create(model, options));
  }

  Model newModel(DataSetInfo info) {
    return Model.withZeroParameters(graph(info));
  }

  Backend backend() {
    return Backends.byName(backend);
  }

  /** Throws the usage error for a model name that {@link Models#names()} does not list. */
  static void checkModelName(String model) {
    if (!Models.names().contains(model)) {
      throw new UsageException("unknown model '" + model + "'; known: " + Models.names());
    }
  }

  /** Throws the usage error for a backend name that {@link Backends#NAMES} does not list. */
  static void checkBackendName(String backend) {
    if (!Backends.NAMES.contains(backend)) {
      throw new UsageException("backend name must be one of " + Backends.NAMES + ", was '" + backend + "'");
    }
  }

  /**
   * A model with zero parameters for a data set: its input shape and class count, the given block activation.
   * Errors of {@link Models#create} propagate unchanged (callers validate the names first).
   */
  static Model newModel(String model, DataSetInfo info, String activation, int actBits) {
    return newModel(model, info.inputShape(), info.numClasses(), activation, actBits);
  }

  /** As {@link #newModel(String, DataSetInfo, String, int)}, for an input shape and class count. */
  static Model newModel(String model, Shape inputShape, int numClasses, String activation, int actBits) {
    return Model.withZeroParameters(Models.create(model, options(inputShape, numClasses, activation, actBits)));
  }

  /**
   * Loads a weights folder (raw float32 + manifest.json) or a PyTorch checkpoint file into {@code model}; a bad one is
   * a usage error.
   */
  static void loadWeights(Path weights, Model model) {
    UsageException.usage(() -> {
      PretrainedWeights.load(weights, model.parameters(), true);
      return null;
    });
  }

  private static ModelOptions options(Shape inputShape, int numClasses, String activation, int actBits) {
    return new ModelOptions(inputShape, numClasses, ModelOptions.blockActivation(activation, actBits));
  }
}
