package org.bsq.core.data;

/**
 * Budgets in fractional epochs ({@code --budget-scale 0.01} of a 350-epoch recipe is 3.5 epochs). A run of {@code e}
 * epochs becomes {@link #wholeEpochs(double) ceil(e)} epochs, each over the first
 * {@code round(e / ceil(e) * batches)} batches (at least one) of its (shuffled) epoch, so the schedule still spans
 * whole epochs and the amount of training equals {@code e} epochs to within one batch per epoch.
 */
public final class FractionalEpochs {
  private FractionalEpochs() {}

  /** Whole epochs to run for {@code epochs} (at least 1). */
  public static int wholeEpochs(double epochs) {
    if (!(epochs > 0) || Double.isInfinite(epochs)) {
      throw new IllegalArgumentException("epochs must be a finite number > 0, was " + epochs);
    }
    return Math.max(1, (int) Math.ceil(epochs - 1e-9));
  }

  /** {@code source} limited to the share of each epoch that makes {@code epochs} epochs in total. */
  public static BatchSource limit(BatchSource source, double epochs) {
    int whole = wholeEpochs(epochs);
    double fraction = epochs / whole;
    if (fraction >= 1 - 1e-9) {
      return source;
    }
    return limitBatches(source, Math.max(1, (int) Math.round(fraction * source.batchesPerEpoch())));
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
