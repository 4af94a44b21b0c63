package org.bsq.core.train;

import java.util.SplittableRandom;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.param.ParameterStore;

/** What an {@link EpochHook} may see and change. Valid only during the hook call. */
public final class EpochContext {
  private final Model model;
  private final SgdOptimizer optimizer;
  private final int epoch;
  private final int totalEpochs;
  private final long seed;
  private final long globalStep;
  private boolean modelChanged;

  EpochContext(Model model, SgdOptimizer optimizer, int epoch, int totalEpochs, long seed, long globalStep) {
    this.globalStep = globalStep;
    this.model = model;
    this.optimizer = optimizer;
    this.epoch = epoch;
    this.totalEpochs = totalEpochs;
    this.seed = seed;
  }

  public Model model() { return model; }

  public ParameterStore parameters() { return model.parameters(); }

  /** The epoch about to start (0-based); the number of epochs in {@link EpochHook#afterTraining}. */
  public int epoch() { return epoch; }

  public int totalEpochs() { return totalEpochs; }

  /**
   * Optimizer steps taken so far: the step about to run in {@link EpochHook#beforeEpoch} and
   * {@link EpochHook#beforeStep}, the run's steps in {@link EpochHook#afterTraining}, the checkpoint's in
   * {@link EpochHook#beforeRestore}.
   */
  public long globalStep() { return globalStep; }

  /** The optimizer, e.g. to {@link SgdOptimizer#resetAll()} as the BSQ reference does when it re-creates it. */
  public SgdOptimizer optimizer() { return optimizer; }

  /**
   * A generator determined by the run's seed and this epoch only, so a resumed run draws the same numbers. Each call
   * returns a new generator with the same sequence.
   */
  public SplittableRandom random() { return new SplittableRandom(Seeds.mix(seed, 0x45504f4348L, epoch)); }

  /** Binds a weight source (see {@link Model#setWeightSource}) and marks the model changed. */
  public void setWeightSource(String layer, WeightSource source) {
    model.setWeightSource(layer, source);
    modelChanged = true;
  }

  /** Restores a layer's float weight source and marks the model changed. */
  public void clearWeightSource(String layer) {
    model.clearWeightSource(layer);
    modelChanged = true;
  }

  /** Tells the trainer that the model changed in a way it cannot see (compiled networks are rebuilt). */
  public void markModelChanged() { modelChanged = true; }

  boolean modelChanged() { return modelChanged; }
}
