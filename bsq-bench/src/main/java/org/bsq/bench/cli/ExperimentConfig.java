package org.bsq.bench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.bsq.core.search.CostMetric;
import org.bsq.core.strategy.Budget;
import java.nio.file.Path;
import java.util.List;
import org.bsq.core.config.Validated;
import org.bsq.core.engine.Backends;
import org.bsq.core.harness.FinetuneSettings;
import org.bsq.data.DataSets;
import org.bsq.models.ModelOptions;
import org.bsq.models.Models;

/**
 * An experiment file ({@code bsq run CONFIG.yaml}). Every key has a default (see {@link #defaults()}); unknown keys and
 * bad values are rejected with every problem listed. A relative path in the file is relative to the file's folder; a
 * relative path given with {@code --set} is relative to the working directory ({@link
 * org.bsq.core.config.ConfigDocument}).
 *
 * @param model the model and its starting weights
 * @param dataset the data set and its loading
 * @param strategy the strategy, its epochs (budget at scale 1) and its own parameters
 * @param finetune how the harness finetunes the strategy's scheme
 * @param seed the experiment seed (initialization, shuffling, augmentation, strategy randomness)
 * @param backend compute backend: onednn, reference or auto
 * @param accelerators hardware presets that price the scheme besides its size (bsq list accelerators)
 * @param objective the cost a search targets (size, or latency / energy on one of the accelerators)
 */
public record ExperimentConfig(ModelSection model, DatasetSection dataset, StrategySection strategy,
                               FinetuneSettings finetune, long seed, String backend, List<String> accelerators,
                               ObjectiveSection objective)
    implements Validated {

  /**
   * @param name model name (bsq list models)
   * @param weights pretrained weights folder (raw float32 + manifest.json) or PyTorch checkpoint file; null: seeded
   *     initialization
   * @param activation block activation: relu or relu6
   * @param actBits activation bits in the blocks (0 = none; ReLU6 above 3 bits, PACT at 3 or fewer)
   */
  public record ModelSection(String name, Path weights, String activation, int actBits) {}

  /**
   * @param name data set name (bsq list datasets)
   * @param dataDir folder of the data set's files (not needed for the embedded set)
   * @param batchSize training and evaluation batch size
   * @param augment use the data set's default augmentation for training
   * @param limitTrain use only the first N training images (0 = all)
   * @param limitTest evaluate on the first N test images (0 = all)
   * @param download fetch the data set's official archive into {@code dataDir} when its files are missing (CIFAR-10;
   *     off by default: nothing is downloaded unless asked)
   * @param validation the held-out validation split carved from the training split (size 0: none)
   */
  public record DatasetSection(String name, Path dataDir, int batchSize, boolean augment, int limitTrain,
                               int limitTest, boolean download, ValidationSection validation) {}

  /**
   * A validation split held out of the training split: {@code size} training images chosen by {@code seed} that no
   * strategy and no finetuning trains on; searches select on it, and finetuning evaluates and keeps its best epoch
   * on it. Size 0 (the default, and the paper's BSQ recipes, which do not search): every training image trains, and
   * the strategies' validation source is the first tenth of the training images (not held out).
   *
   * @param size images held out (0: none)
   * @param seed which images (the same size and seed always choose the same images)
   */
  public record ValidationSection(int size, long seed) {}

  /**
   * @param name strategy name (bsq list strategies)
   * @param budget what the strategy may spend at budget scale 1: training epochs (fractions allowed), candidate
   *     evaluations and seconds (0 = no limit for the last two); enforced by the harness and recorded in run.json
   * @param params the strategy's own parameters (checked by the strategy)
   */
  public record StrategySection(String name, Budget budget, JsonNode params) {}

  /**
   * The search objective: the metric candidates are priced in, and for latency and energy the accelerator preset that
   * prices them (it joins {@code accelerators:} when not listed there).
   *
   * @param metric size, latency or energy
   * @param accelerator an accelerator preset (bsq list accelerators); required for latency and energy, absent for
   *     size
   */
  public record ObjectiveSection(String metric, String accelerator) {
    static ObjectiveSection defaults() {
      return new ObjectiveSection("size", null);
    }
  }

  /** The cost models the run prices every scheme with: size first, then each accelerator (the objective's too). */
  public List<String> pricedAccelerators() {
    List<String> out = new java.util.ArrayList<>(accelerators);
    if (objective.accelerator() != null && !out.contains(objective.accelerator())) {
      out.add(objective.accelerator());
    }
    return out;
  }

  public static ExperimentConfig defaults() {
    return new ExperimentConfig(new ModelSection("small-cnn", null, "relu", 0),
        new DatasetSection(DataSets.EMBEDDED, null, 128, true, 0, 0, false, new ValidationSection(0, 0)),
        new StrategySection("uniform", Budget.defaults(), null), FinetuneSettings.defaults(), 42, "auto", List.of(),
        ObjectiveSection.defaults());
  }

  @Override
  public void validate(List<String> problems) {
    if (!Models.names().contains(model.name())) {
      problems.add("model.name: must be one of " + Models.names() + ", was '" + model.name() + "'");
    }
    try {
      ModelOptions.blockActivation(model.activation(), model.actBits());
    } catch (IllegalArgumentException e) {
      problems.add("model.activation/actBits: " + e.getMessage());
    }
    if (!DataSets.names().contains(dataset.name())) {
      problems.add("dataset.name: must be one of " + DataSets.names() + ", was '" + dataset.name() + "'");
    } else if (DataSets.info(dataset.name()).needsDataDir() && dataset.dataDir() == null) {
      problems.add("dataset.dataDir: data set '" + dataset.name() + "' needs the folder of its files, was not set");
    }
    if (dataset.batchSize() < 2) {
      problems.add("dataset.batchSize: must be >= 2, was " + dataset.batchSize());
    }
    if (dataset.limitTrain() < 0 || dataset.limitTest() < 0) {
      problems.add("dataset.limitTrain/limitTest: must be >= 0 (0 = all), was " + dataset.limitTrain() + "/"
          + dataset.limitTest());
    }
    if (dataset.validation() != null && dataset.validation().size() < 0) {
      problems.add("dataset.validation.size: must be >= 0 (0 = no held-out split), was " + dataset.validation().size());
    }
    String keepBest = finetune.keepBestProblem(dataset.validation() != null && dataset.validation().size() > 0);
    if (keepBest != null) {
      problems.add(keepBest);
    }
    if (strategy.budget() == null) {
      problems.add("strategy.budget: must be given");
    } else {
      List<String> budget = new java.util.ArrayList<>();
      strategy.budget().validate(budget);
      budget.forEach(b -> problems.add("strategy.budget." + b));
    }
    if (strategy.name() == null || strategy.name().isBlank()) {
      problems.add("strategy.name: must be given");
    }
    for (int i = 0; i < accelerators.size(); i++) {
      if (!org.bsq.hwsim.Presets.names().contains(accelerators.get(i))) {
        problems.add("accelerators[" + i + "]: must be one of " + org.bsq.hwsim.Presets.names() + ", was '"
            + accelerators.get(i) + "'");
      }
    }
    if (!CostMetric.labels().contains(objective.metric())) {
      problems.add("objective.metric: must be one of " + CostMetric.labels() + ", was '" + objective.metric() + "'");
    } else if (CostMetric.of(objective.metric()).needsAccelerator() && objective.accelerator() == null) {
      problems.add("objective.accelerator: the " + objective.metric() + " objective needs an accelerator preset (one of "
          + org.bsq.hwsim.Presets.names() + "), was not set");
    } else if (!CostMetric.of(objective.metric()).needsAccelerator() && objective.accelerator() != null) {
      problems.add("objective.accelerator: the size objective is priced by the size model and takes no accelerator, was '"
          + objective.accelerator() + "'");
    } else if (objective.accelerator() != null && !org.bsq.hwsim.Presets.names().contains(objective.accelerator())) {
      problems.add("objective.accelerator: must be one of " + org.bsq.hwsim.Presets.names() + ", was '"
          + objective.accelerator() + "'");
    }
    if (!Backends.NAMES.contains(backend)) {
      problems.add("backend: must be one of " + Backends.NAMES + ", was '" + backend + "'");
    }
  }
}
