package org.bsq.core.bsq;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bsq.core.train.EpochContext;
import org.bsq.core.train.EpochHook;

/**
 * BSQ's periodic re-quantization and precision adjustment ({@code cifar_prune_STE.py}): before epoch 0, before every
 * epoch that is a multiple of {@code interval}, and once after training, every converted layer is re-quantized
 * ({@link BitRepresentation#requantize}, maximum {@code maxBits}) and its precision adjusted
 * ({@link BitRepresentation#adjustPrecision}, threshold {@code threshold}, MSB planes dropped).
 *
 * <p>Layers whose number of planes changed get new plane parameters; the trainer resets their optimizer state. With
 * {@code resetAllOptimizerState} every parameter's state is reset, as the reference does when it re-creates its
 * optimizer after each adjustment. Before a checkpoint is restored, the plane parameters are reshaped to the
 * checkpoint's shapes.
 *
 * <p>With {@link #atSteps} the hook acts before given global steps instead (a budget of fractional epochs,
 * {@link org.bsq.core.train.RecipePlan}): before epoch 0, before each listed step (at an epoch's start or inside it)
 * and once after training.
 */
public final class RequantizeHook implements EpochHook {
  private final BitRepresentation bits;
  private final int interval;
  private final int maxBits;
  private final double threshold;
  private final boolean resetAllOptimizerState;
  /** Global steps to act before (step mode), or null (epoch mode, every {@code interval} epochs). */
  private final Set<Long> steps;
  private final int stepsPerEpoch;

  /**
   * @param interval re-quantize before every epoch that is a multiple of this ({@code >= 1}); epoch 0 always
   * @param maxBits the precision a layer may grow to (the reference script: 8)
   * @param threshold pruning threshold in percent (BSQ: 0)
   * @param resetAllOptimizerState reset every parameter's optimizer state at each adjustment (the reference)
   */
  public RequantizeHook(BitRepresentation bits, int interval, int maxBits, double threshold,
                        boolean resetAllOptimizerState) {
    this(bits, interval, null, 1, maxBits, threshold, resetAllOptimizerState);
  }

  private RequantizeHook(BitRepresentation bits, int interval, Set<Long> steps, int stepsPerEpoch, int maxBits,
                         double threshold, boolean resetAllOptimizerState) {
    if (interval < 1) {
      throw new IllegalArgumentException("re-quantization interval must be >= 1 epoch, was " + interval);
    }
    if (maxBits < 1 || maxBits > 16) {
      throw new IllegalArgumentException("maximum bits must be in [1, 16], was " + maxBits);
    }
    if (!(threshold >= 0 && threshold <= 100)) {
      throw new IllegalArgumentException("pruning threshold must be a percentage in [0, 100], was " + threshold);
    }
    this.bits = bits;
    this.interval = interval;
    this.maxBits = maxBits;
    this.threshold = threshold;
    this.resetAllOptimizerState = resetAllOptimizerState;
    this.steps = steps;
    this.stepsPerEpoch = stepsPerEpoch;
  }

  /**
   * A hook that acts before epoch 0, before each of the global {@code steps} ({@code >= 1}) of a trainer with
   * {@code stepsPerEpoch} batches per epoch, and after training.
   */
  public static RequantizeHook atSteps(BitRepresentation bits, List<Long> steps, int stepsPerEpoch, int maxBits,
                                       double threshold, boolean resetAllOptimizerState) {
    if (stepsPerEpoch < 1) {
      throw new IllegalArgumentException("steps per epoch must be >= 1, was " + stepsPerEpoch);
    }
    for (Long s : steps) {
      if (s == null || s < 1) {
        throw new IllegalArgumentException("re-quantization steps must be >= 1, was " + steps);
      }
    }
    return new RequantizeHook(bits, 1, Set.copyOf(steps), stepsPerEpoch, maxBits, threshold,
        resetAllOptimizerState);
  }

  /**
   * Maximum 8 bits and threshold 0 as the paper, with the optimizer state reset only for the changed layers (the
   * reference re-creates its optimizer, i.e. resets every layer: {@code resetAllOptimizerState}, the strategy's
   * default).
   */
  public static RequantizeHook paper(BitRepresentation bits, int interval) {
    return new RequantizeHook(bits, interval, 8, 0.0, false);
  }

  /** Whether the hook adjusts before {@code epoch}. */
  public boolean adjustsBefore(int epoch) {
    return steps == null ? epoch % interval == 0 : epoch == 0 || steps.contains((long) epoch * stepsPerEpoch);
  }

  @Override
  public boolean actsBeforeStep(long globalStep) {
    return steps != null && steps.contains(globalStep);
  }

  @Override
  public void beforeStep(EpochContext context) {
    adjust(context);
  }

  @Override
  public void beforeEpoch(EpochContext context) {
    if (adjustsBefore(context.epoch())) {
      adjust(context);
    }
  }

  @Override
  public void afterTraining(EpochContext context) {
    adjust(context);
  }

  @Override
  public void beforeRestore(EpochContext context, Map<String, int[]> checkpointShapes) {
    bits.reshapeTo(checkpointShapes);
    context.markModelChanged();
  }

  /** Re-quantizes and adjusts precision now; returns the layers whose plane count changed. */
  public Set<String> adjust(EpochContext context) {
    Set<String> changed = bits.requantizeAndAdjust(maxBits, threshold);
    if (resetAllOptimizerState) {
      context.optimizer().resetAll();
    }
    context.markModelChanged();
    return changed;
  }
}
