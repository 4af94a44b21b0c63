package org.bsq.core.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bsq.core.provenance.Provenance;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.train.EpochRecord;

/**
 * The immutable record of one experiment run, written as {@code run.json}; tables and plots are built from these
 * files only. Fractions (accuracies) are in [0, 1].
 *
 * <p>A run that failed after it started leaves a record with {@link #STATUS_FAILED}, its {@link #error()}, the
 * configuration, seed and provenance; its scheme, metrics, compression, average bits, cost, trajectory and timings are
 * null. A run that is still going, or was killed, has no {@code run.json} yet.
 *
 * @param formatVersion version of this layout (1: no status, every record finished; 2: status and error)
 * @param status {@link #STATUS_FINISHED} or {@link #STATUS_FAILED}
 * @param error why the run failed, null when it finished
 * @param strategy strategy name
 * @param config the resolved configuration
 * @param configHash SHA-256 of the resolved configuration's canonical JSON
 * @param seed the experiment seed
 * @param budgetScale the factor applied to every epoch count
 * @param provenance where the run came from
 * @param scheme every weight layer (shortcuts included) with its bits
 * @param metrics accuracies and loss
 * @param compression paper metric and honest whole-model size
 * @param avgBits average weight bits over the counted layers
 * @param cost every cost model's prices of the scheme
 * @param trajectory the strategy's and the finetuning's per-epoch records
 * @param details strategy-specific facts (e.g. BSQ's per-plane statistics)
 * @param timings wall-clock seconds per phase
 * @param budget the strategy's budget and what it spent (null in records written before budgets were recorded)
 */
public record RunRecord(int formatVersion, String status, Failure error, String strategy, JsonNode config,
                        String configHash, long seed, double budgetScale, Provenance provenance, Scheme scheme,
                        Metrics metrics, Compression compression, Double avgBits,
                        Map<String, Map<String, Double>> cost, Trajectory trajectory, Map<String, Object> details,
                        Timings timings, BudgetUse budget) {
  /** Current {@link #formatVersion()}. */
  public static final int FORMAT_VERSION = 2;
  /** {@link #status()} of a run that ran to its end. */
  public static final String STATUS_FINISHED = "finished";
  /** {@link #status()} of a run that stopped with an error. */
  public static final String STATUS_FAILED = "failed";

  public RunRecord {
    if (status == null && formatVersion <= 1) {
      status = STATUS_FINISHED; // version 1 wrote finished runs only
    }
    if (!STATUS_FINISHED.equals(status) && !STATUS_FAILED.equals(status)) {
      throw new IllegalArgumentException("run status must be '" + STATUS_FINISHED + "' or '" + STATUS_FAILED
          + "', was '" + status + "'");
    }
    if (STATUS_FAILED.equals(status) != (error != null)) {
      throw new IllegalArgumentException("a run record has an error exactly when its status is '" + STATUS_FAILED
          + "', was status '" + status + "' with error " + error);
    }
  }

  /** The record of a run that failed: configuration, seed and provenance with the error, no results. */
  public static RunRecord failed(String strategy, JsonNode config, String configHash, long seed, double budgetScale,
                                 Provenance provenance, Failure error) {
    return new RunRecord(FORMAT_VERSION, STATUS_FAILED, error, strategy, config, configHash, seed, budgetScale,
        provenance, null, null, null, null, null, null, null, null, null);
  }

  /** Whether the run ran to its end (its scheme, metrics and cost are present). */
  public boolean finished() {
    return STATUS_FINISHED.equals(status);
  }

  /**
   * Why a run failed.
   *
   * @param phase what the harness was doing: "strategy", "finetune", "evaluation" or "pricing"
   * @param type the exception's class name
   * @param message the exception's message
   * @param seconds wall-clock seconds from the start (or resume) of the run to the failure
   */
  public record Failure(String phase, String type, String message, double seconds) {}

  /** The scheme as run.json lists it. */
  public record Scheme(List<Layer> layers) {
    /** The scheme as the value type strategies and cost models use (name, weight bits, activation bits per layer). */
    public QuantizationScheme toQuantizationScheme() {
      List<LayerPrecision> out = new ArrayList<>();
      for (Layer l : layers) {
        out.add(LayerPrecision.of(l.name(), l.weightBits(), l.activationBits()));
      }
      return new QuantizationScheme(out);
    }
  }

  /**
   * One weight layer.
   *
   * @param weightBits 0 for a pruned layer, 32 for full precision
   * @param activationBits bits of the layer's input activations (0 = the model's own activation; docs/algorithm.md
   *     section 4.1)
   * @param params weights plus biases
   * @param counted whether the paper metric counts it (projection shortcuts are not counted)
   * @param activationNode the activation node whose quantizer the layer's activation bits set, or null where they
   *     cannot take effect (the image input, a plain ReLU, pooled features): there the bits are recorded and priced
   *     but the layer reads what the model computes
   */
  public record Layer(String name, int weightBits, int activationBits, long params, boolean counted,
                      String activationNode) {
    /** A layer without the activation node (records written before it was recorded, tests). */
    public Layer(String name, int weightBits, int activationBits, long params, boolean counted) {
      this(name, weightBits, activationBits, params, counted, null);
    }
  }

  /**
   * @param top1Float test top-1 of the model before the strategy ran (the full-precision starting point)
   * @param top1BeforeFinetune test top-1 under the strategy's scheme before finetuning
   * @param top1 test top-1 after finetuning
   * @param top5 test top-5 after finetuning
   * @param loss test loss after finetuning
   * @param testSamples number of test images
   * @param top1Validation top-1 on the held-out validation split after finetuning, null without one
   * @param validationSamples number of held-out validation images (0 without a validation split)
   */
  public record Metrics(double top1Float, double top1BeforeFinetune, double top1, double top5, double loss,
                        long testSamples, Double top1Validation, long validationSamples) {}

  /**
   * @param paper {@code 32 * TP / TB} over the counted layers
   * @param wholeModel every parameter at its real precision (shortcuts and BN at 32 bits)
   * @param wholeModelBits the whole model's size in bits
   */
  public record Compression(double paper, double wholeModel, long wholeModelBits) {}

  /**
   * Per-epoch records of the strategy phase and of the finetuning phase.
   *
   * @param finetuneEvaluatedOn the split the finetuning epochs' evaluations (and a keep-best selection) used:
   *     "validation" or "test"; "none" when the strategy asked for no finetuning (post-training quantization)
   * @param search every candidate a search evaluated, in order (empty for strategies that do not search)
   * @param finetunePlan where the finetuning's steps and milestones fell (null without finetuning, and in records
   *     written before it was recorded)
   */
  public record Trajectory(List<EpochRecord> strategy, List<EpochRecord> finetune, String finetuneEvaluatedOn,
                           List<org.bsq.core.search.SearchStep> search, FinetunePlan finetunePlan) {
    public Trajectory {
      search = search == null ? List.of() : List.copyOf(search);
    }

    /** A trajectory without a finetuning plan. */
    public Trajectory(List<EpochRecord> strategy, List<EpochRecord> finetune, String finetuneEvaluatedOn,
                      List<org.bsq.core.search.SearchStep> search) {
      this(strategy, finetune, finetuneEvaluatedOn, search, null);
    }
  }

  /**
   * How the finetuning spent its budget ({@link org.bsq.core.train.RecipePlan}, docs/algorithm.md section 9).
   *
   * @param epochs trainer epochs (the last one cut short when {@code stepGranular})
   * @param totalSteps optimizer steps of the finetuning
   * @param stepGranular whether the budget was fractional (milestones at steps inside epochs)
   * @param milestoneSteps the global steps before which the learning rate drops
   */
  public record FinetunePlan(int epochs, long totalSteps, boolean stepGranular, List<Long> milestoneSteps) {
    public FinetunePlan {
      milestoneSteps = List.copyOf(milestoneSteps);
    }
  }

  /**
   * What the strategy was allowed and what it spent.
   *
   * @param epochs the strategy's epoch budget (after the budget scale)
   * @param evaluations the evaluation budget (0: none)
   * @param seconds the time budget (0: none)
   * @param evaluationsUsed candidate evaluations the strategy ran
   * @param strategySeconds seconds the strategy phase took
   */
  public record BudgetUse(double epochs, int evaluations, double seconds, int evaluationsUsed,
                          double strategySeconds) {}

  /** Wall-clock seconds. */
  public record Timings(double strategySeconds, double finetuneSeconds, double evaluationSeconds,
                        double totalSeconds) {}
}
