package org.bsq.data;

import java.util.Objects;
import java.util.SplittableRandom;
import org.bsq.core.data.BatchIterator;
import org.bsq.core.data.BatchSource;

/**
 * A {@link BatchSource} over a {@link LabeledImages} split: optional shuffling, optional {@link Augmentation},
 * per-channel {@link Normalization}, background prefetch.
 *
 * <p>Determinism: epoch {@code e} depends only on (seed, e). The sample order is a Fisher-Yates permutation drawn from
 * {@code new SplittableRandom(mix(seed, e))}; the crop offsets and flip of sample {@code i} (its index in the split)
 * are a pure hash of (seed, e, i). So an epoch is identical whether or not earlier epochs ran, whatever the batch
 * size, prefetch depth or thread timing, and {@link #epoch(int, int) epoch(e, k)} yields exactly batches
 * {@code k, k+1, ...} of {@code epoch(e, 0)} without computing the skipped ones. The last batch may be smaller (no
 * drop-last).
 *
 * <p>Example:
 *
 * <pre>{@code
 * DataLoader train = DataLoader.builder(images, 128)
 *     .shuffle(true).augmentation(Augmentation.CIFAR10).normalization(Normalization.CIFAR10).seed(42).build();
 * try (BatchIterator it = train.epoch(0)) {
 *   while (it.hasNext()) { Batch b = it.next(); ... }
 * }
 * }</pre>
 */
public final class DataLoader implements BatchSource {
  /** Default number of batches prepared ahead. */
  public static final int DEFAULT_PREFETCH = 2;

  private static final long PERMUTATION_STREAM = 0x5DEECE66DL;
  private static final long AUGMENTATION_STREAM = 0x3C6EF372FE94F82BL;
  private static final long FLIP_STREAM = 0xA54FF53A5F1D36F1L;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final LabeledImages images;
  private final int batchSize;
  private final boolean shuffle;
  private final Augmentation augmentation;
  private final Normalization normalization;
  private final long seed;
  private final int numSamples;
  private final int prefetch;
  private final String name;
  private final float[] lut;

  /**
   * A loader with the default prefetch ({@value #DEFAULT_PREFETCH}), all samples, and the split's source as name.
   *
   * @param images the split
   * @param batchSize samples per batch, {@code >= 1}
   * @param shuffle whether each epoch uses a seeded permutation (otherwise split order)
   * @param augmentation training augmentation, or null for none
   * @param normalization per-channel normalization; its channel count must equal the images'
   * @param seed seed of shuffling and augmentation
   */
  public DataLoader(
      LabeledImages images, int batchSize, boolean shuffle, Augmentation augmentation, Normalization normalization,
      long seed) {
    this(images, batchSize, shuffle, augmentation, normalization, seed, images.size(), DEFAULT_PREFETCH, null);
  }

  private DataLoader(
      LabeledImages images, int batchSize, boolean shuffle, Augmentation augmentation, Normalization normalization,
      long seed, int limit, int prefetch, String name) {
    this.images = Objects.requireNonNull(images, "images");
    this.normalization = Objects.requireNonNull(normalization, "normalization");
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, was " + batchSize);
    }
    if (normalization.channels() != images.channels()) {
      throw new IllegalArgumentException(
          "normalization channels must equal image channels " + images.channels() + ", was "
              + normalization.channels());
    }
    if (limit < 1) {
      throw new IllegalArgumentException("sample limit must be >= 1, was " + limit);
    }
    if (prefetch < 0 || prefetch > 64) {
      throw new IllegalArgumentException("prefetch must be in [0, 64], was " + prefetch);
    }
    if (augmentation != null && augmentation.padding() > 0
        && (augmentation.padding() > images.height() || augmentation.padding() > images.width())) {
      // still well defined, but almost certainly a mistake
      throw new IllegalArgumentException(
          "augmentation padding must be <= image height and width " + images.height() + "x" + images.width()
              + ", was " + augmentation.padding());
    }
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.augmentation = augmentation == null || augmentation.isIdentity() ? null : augmentation;
    this.seed = seed;
    this.numSamples = Math.min(limit, images.size());
    this.prefetch = prefetch;
    this.name = name != null ? name : images.source();
    this.lut = normalization.lookupTable();
  }

  /** Builder with required split and batch size. */
  public static Builder builder(LabeledImages images, int batchSize) { return new Builder(images, batchSize); }

  /** Builder of {@link DataLoader}; defaults: no shuffle, no augmentation, {@code pixel/255}, seed 0, all samples. */
  public static final class Builder {
    private final LabeledImages images;
    private final int batchSize;
    private boolean shuffle;
    private Augmentation augmentation;
    private Normalization normalization;
    private long seed;
    private int limit;
    private int prefetch = DEFAULT_PREFETCH;
    private String name;

    private Builder(LabeledImages images, int batchSize) {
      this.images = Objects.requireNonNull(images, "images");
      this.batchSize = batchSize;
      this.limit = images.size();
    }

    public Builder shuffle(boolean shuffle) {
      this.shuffle = shuffle;
      return this;
    }

    /** Training augmentation; null for none. */
    public Builder augmentation(Augmentation augmentation) {
      this.augmentation = augmentation;
      return this;
    }

    public Builder normalization(Normalization normalization) {
      this.normalization = Objects.requireNonNull(normalization, "normalization");
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Use only the first {@code n} samples of the split (all of them if {@code n >= size}); {@code n >= 1}. */
    public Builder limit(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("sample limit must be >= 1, was " + n);
      }
      this.limit = n;
      return this;
    }

    /** Batches prepared ahead in a background thread (default 2); 0 prepares each batch inside {@code next()}. */
    public Builder prefetch(int batches) {
      this.prefetch = batches;
      return this;
    }

    /** Name used in {@link DataLoader#description()}, e.g. "cifar10/train"; default: the split's source. */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    public DataLoader build() {
      Normalization norm = normalization != null ? normalization : Normalization.unit(images.channels());
      return new DataLoader(images, batchSize, shuffle, augmentation, norm, seed, limit, prefetch, name);
    }
  }

  @Override
  public String description() {
    return name + " (" + numSamples + (augmentation != null ? ", augmented " + augmentation : "")
        + (shuffle ? ", shuffled" : "") + ")";
  }

  @Override
  public int numSamples() { return numSamples; }

  @Override
  public int channels() { return images.channels(); }

  @Override
  public int height() { return images.height(); }

  @Override
  public int width() { return images.width(); }

  @Override
  public int numClasses() { return images.numClasses(); }

  @Override
  public int batchSize() { return batchSize; }

  public LabeledImages images() { return images; }

  public boolean shuffle() { return shuffle; }

  /** The augmentation, or null when none (an identity augmentation counts as none). */
  public Augmentation augmentation() { return augmentation; }

  public Normalization normalization() { return normalization; }

  public long seed() { return seed; }

  public int prefetch() { return prefetch; }

  /**
   * @throws IllegalArgumentException if {@code epoch < 0} or {@code firstBatch} is outside
   *     {@code [0, batchesPerEpoch()]} ({@code firstBatch == batchesPerEpoch()} gives an empty iterator)
   */
  @Override
  public BatchIterator epoch(int epoch, int firstBatch) {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be >= 0, was " + epoch);
    }
    int batches = batchesPerEpoch();
    if (firstBatch < 0 || firstBatch > batches) {
      throw new IllegalArgumentException("first batch must be in [0, " + batches + "], was " + firstBatch);
    }
    int[] order = sampleOrder(epoch);
    long augmentationKey = mix64(epochKey(epoch) ^ AUGMENTATION_STREAM);
    return new PrefetchingBatchIterator(
        firstBatch, batches, batchSize * images.imageBytes(), batchSize, prefetch,
        "bsq-data-prefetch " + name + " epoch " + epoch,
        (b, imagesOut, labelsOut) -> fill(b, order, augmentationKey, imagesOut, labelsOut));
  }

  /** The split indices of the samples of epoch {@code epoch}, in the order they are served. */
  public int[] sampleOrder(int epoch) {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be >= 0, was " + epoch);
    }
    int[] order = new int[numSamples];
    for (int i = 0; i < numSamples; i++) {
      order[i] = i;
    }
    if (shuffle) {
      SplittableRandom random = new SplittableRandom(mix64(epochKey(epoch) ^ PERMUTATION_STREAM));
      for (int i = numSamples - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    return order;
  }

  private int fill(int batch, int[] order, long augmentationKey, float[] out, int[] labelsOut) {
    int start = batch * batchSize;
    int size = Math.min(batchSize, numSamples - start);
    byte[] pixels = images.pixelArray();
    byte[] labels = images.labelArray();
    int imageBytes = images.imageBytes();
    int c = images.channels();
    int h = images.height();
    int w = images.width();
    for (int k = 0; k < size; k++) {
      int sample = order[start + k];
      int srcOff = sample * imageBytes;
      int dstOff = k * imageBytes;
      if (augmentation == null) {
        ImageDecoder.decode(pixels, srcOff, c, h * w, lut, out, dstOff);
      } else {
        int padding = augmentation.padding();
        int span = 2 * padding + 1;
        long r = mix64(augmentationKey + sample * GOLDEN);
        int dy = (int) (((r & 0xFFFFFFFFL) * span) >>> 32);
        int dx = (int) (((r >>> 32) * span) >>> 32);
        boolean flip = augmentation.horizontalFlip() && mix64(r ^ FLIP_STREAM) < 0;
        ImageDecoder.decodeAugmented(pixels, srcOff, c, h, w, padding, dy, dx, flip, lut, out, dstOff);
      }
      labelsOut[k] = labels[sample] & 0xFF;
    }
    return size;
  }

  private long epochKey(int epoch) { return mix64(mix64(seed ^ GOLDEN) + (epoch + 1L) * 0xBF58476D1CE4E5B9L); }

  /** SplitMix64 finalizer. */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public String toString() { return "DataLoader[" + description() + ", batch " + batchSize + ", seed " + seed + "]"; }
}
