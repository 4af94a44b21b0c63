package org.bsq.core.train;

import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;
import org.bsq.core.data.BatchSource;

/**
 * A deterministic in-memory {@link BatchSource} for tests: epoch {@code e} is a permutation drawn from
 * {@code (seed, e)} only (or the natural order when not shuffling). Batches reuse one full-size buffer, so the last,
 * smaller batch comes in an array longer than its samples (as real sources may do).
 */
public final class InMemoryBatchSource implements BatchSource {
  private final String description;
  private final float[] images;
  private final int[] labels;
  private final int channels;
  private final int height;
  private final int width;
  private final int classes;
  private final int batchSize;
  private final long seed;
  private final boolean shuffle;
  int epochsOpened;

  public InMemoryBatchSource(String description, float[] images, int[] labels, int channels, int height, int width,
      int classes, int batchSize, long seed, boolean shuffle) {
    this.description = description;
    this.images = images;
    this.labels = labels;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.classes = classes;
    this.batchSize = batchSize;
    this.seed = seed;
    this.shuffle = shuffle;
  }

  @Override public String description() { return description; }
  @Override public int numSamples() { return labels.length; }
  @Override public int channels() { return channels; }
  @Override public int height() { return height; }
  @Override public int width() { return width; }
  @Override public int numClasses() { return classes; }
  @Override public int batchSize() { return batchSize; }

  @Override
  public BatchIterator epoch(int epoch, int firstBatch) {
    epochsOpened++;
    int n = labels.length;
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (shuffle) {
      SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
      for (int i = n - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    int sample = channels * height * width;
    float[] buf = new float[batchSize * sample];
    int[] lab = new int[batchSize];
    int batches = batchesPerEpoch();
    return new BatchIterator() {
      int next = firstBatch;

      @Override public boolean hasNext() { return next < batches; }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int start = next * batchSize;
        int size = Math.min(batchSize, n - start);
        for (int i = 0; i < size; i++) {
          int s = order[start + i];
          System.arraycopy(images, s * sample, buf, i * sample, sample);
          lab[i] = labels[s];
        }
        return new Batch(buf, lab, size, next++);
      }

      @Override public void close() {}
    };
  }
}
