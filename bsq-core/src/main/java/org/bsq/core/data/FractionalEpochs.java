package org.bsq.core.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Epoch-granular budget rules: whole budgets' milestones and intervals ({@link #scaleEpoch}, {@link #scaleMilestones}),
 * used by {@link org.bsq.core.train.RecipePlan}, which places fractional budgets' events at steps (decision 0009), and
 * a batch limiter ({@link #limitBatches}). Budgets in fractional epochs ({@code --budget-scale 0.01} of a 350-epoch recipe is 3.5 epochs). A run of {@code e}
 * epochs becomes {@link #wholeEpochs(double) ceil(e)} epochs, each over the first
 * {@code round(e / ceil(e) * batches)} batches (at least one) of its (shuffled) epoch, so the schedule still spans
 * whole epochs and the amount of training equals {@code e} epochs to within one batch per epoch.
 */
public final class FractionalEpochs {
  /** Absorbs float noise such as {@code 350 * 0.14 = 49.00000000000001}: that budget is 49 whole epochs. */
  private static final double EPSILON = 1e-9;

  private FractionalEpochs() {}

  /** Whole epochs to run for {@code epochs} (at least 1). */
  public static int wholeEpochs(double epochs) {
    if (!(epochs > 0) || Double.isInfinite(epochs)) {
      throw new IllegalArgumentException("epochs must be a finite number > 0, was " + epochs);
    }
    return Math.max(1, (int) Math.ceil(epochs - EPSILON));
  }

  /** {@code source} limited to the share of each epoch that makes {@code epochs} epochs in total. */
  public static BatchSource limit(BatchSource source, double epochs) {
    return limitBatches(source, batchesPerEpoch(source.batchesPerEpoch(), epochs));
  }

  /**
   * Batches per trainer epoch when {@code epochs} epochs of a source with {@code batches} batches per epoch run as
   * {@link #wholeEpochs} epochs: {@code round(epochs / ceil(epochs) * batches)}, at least 1, all of them for whole
   * budgets.
   */
  public static int batchesPerEpoch(int batches, double epochs) {
    if (batches < 1) {
      throw new IllegalArgumentException("batches per epoch must be >= 1, was " + batches);
    }
    double fraction = epochs / wholeEpochs(epochs);
    if (fraction >= 1 - EPSILON) {
      return batches;
    }
    return (int) Math.max(1, Math.min(batches, Math.round(fraction * batches)));
  }

  /**
   * An epoch count of a recipe of {@code recipeEpochs} epochs (a milestone, an interval) in a run of
   * {@code trainerEpochs} epochs: {@code round(recipeEpoch * trainerEpochs / recipeEpochs)}, at least 1.
   */
  public static int scaleEpoch(double recipeEpoch, double recipeEpochs, int trainerEpochs) {
    if (!(recipeEpochs > 0) || Double.isInfinite(recipeEpochs)) {
      throw new IllegalArgumentException("recipe epochs must be a finite number > 0, was " + recipeEpochs);
    }
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.round(recipeEpoch * trainerEpochs / recipeEpochs)));
  }

  /**
   * A recipe's learning-rate milestones in a run of {@code trainerEpochs} epochs ({@link #scaleEpoch}), without
   * repeats (two recipe milestones landing on one epoch would decay twice there) and without those at or after the
   * last epoch (they would never act).
   */
  public static List<Integer> scaleMilestones(List<Double> recipeMilestones, double recipeEpochs, int trainerEpochs) {
    List<Integer> milestones = new ArrayList<>();
    for (double m : recipeMilestones) {
      int scaled = scaleEpoch(m, recipeEpochs, trainerEpochs);
      if (scaled < trainerEpochs && !milestones.contains(scaled)) {
        milestones.add(scaled);
      }
    }
    return List.copyOf(milestones);
  }

  /** {@code source} with every epoch cut to its first {@code batches} batches (the source itself if that is all). */
  public static BatchSource limitBatches(BatchSource source, int batches) {
    if (batches < 1 || batches > source.batchesPerEpoch()) {
      throw new IllegalArgumentException("batches per epoch must be in [1, " + source.batchesPerEpoch() + "], was "
          + batches);
    }
    if (batches == source.batchesPerEpoch()) {
      return source;
    }
    return new BatchSource() {
      @Override
      public String description() {
        return source.description() + " [" + batches + " of " + source.batchesPerEpoch() + " batches per epoch]";
      }

      @Override
      public int numSamples() { return Math.min(source.numSamples(), batches * source.batchSize()); }

      @Override
      public int channels() { return source.channels(); }

      @Override
      public int height() { return source.height(); }

      @Override
      public int width() { return source.width(); }

      @Override
      public int numClasses() { return source.numClasses(); }

      @Override
      public int batchSize() { return source.batchSize(); }

      @Override
      public int batchesPerEpoch() { return batches; }

      @Override
      public BatchIterator epoch(int epoch, int firstBatch) {
        BatchIterator inner = source.epoch(epoch, firstBatch);
        return new BatchIterator() {
          private int index = firstBatch;

          @Override
          public boolean hasNext() { return index < batches && inner.hasNext(); }

          @Override
          public Batch next() {
            if (!hasNext()) {
              throw new java.util.NoSuchElementException("epoch " + epoch + " is limited to " + batches + " batches");
            }
            index++;
            return inner.next();
          }

          @Override
          public void close() { inner.close(); }
        };
      }
    };
  }
}
