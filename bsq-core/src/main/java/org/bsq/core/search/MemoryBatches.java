package org.bsq.core.search;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;
import org.bsq.core.data.BatchSource;

/**
 * A fixed list of batches held in memory: every epoch yields the same batches in the same order. A search evaluates
 * every candidate on one such subset, so candidates see identical images without re-decoding them.
 */
final class MemoryBatches implements BatchSource {
  private final String description;
  private final List<Batch> batches;
  private final int samples;
  private final int batchSize;
  private final BatchSource shape;

  private MemoryBatches(String description, List<Batch> batches, int batchSize, BatchSource shape) {
    this.description = description;
    this.batches = List.copyOf(batches);
    this.samples = batches.stream().mapToInt(Batch::size).sum();
    this.batchSize = batchSize;
    this.shape = shape;
  }

  /**
   * The first {@code samples} samples of epoch {@code epoch} of {@code source} (all of them when 0 or more than it
   * has), re-batched into batches of {@code batchSize} (0: the source's).
   */
  static MemoryBatches take(BatchSource source, int epoch, int samples, int batchSize, String what) {
    int want = samples == 0 ? source.numSamples() : Math.min(samples, source.numSamples());
    int bs = batchSize == 0 ? source.batchSize() : batchSize;
    int sample = source.channels() * source.height() * source.width();
    float[] images = new float[want * sample];
    int[] labels = new int[want];
    int have = 0;
    try (BatchIterator it = source.epoch(epoch)) {
      while (have < want && it.hasNext()) {
        Batch b = it.next();
        int n = Math.min(b.size(), want - have);
        System.arraycopy(b.images(), 0, images, have * sample, n * sample);
        System.arraycopy(b.labels(), 0, labels, have, n);
        have += n;
      }
    }
    List<Batch> out = new ArrayList<>();
    for (int start = 0, i = 0; start < have; start += bs, i++) {
      int n = Math.min(bs, have - start);
      float[] im = new float[n * sample];
      int[] lb = new int[n];
      System.arraycopy(images, start * sample, im, 0, n * sample);
      System.arraycopy(labels, start, lb, 0, n);
      out.add(new Batch(im, lb, n, i));
    }
    return new MemoryBatches(what + ": first " + have + " of " + source.description(), out, bs, source);
  }

  /** The first {@code count} batches of epoch {@code epoch} of {@code source}, copied. */
  static MemoryBatches firstBatches(BatchSource source, int epoch, int count, String what) {
    List<Batch> out = new ArrayList<>();
    try (BatchIterator it = source.epoch(epoch)) {
      for (int i = 0; i < count; i++) {
        if (!it.hasNext()) {
          break;
        }
        Batch b = it.next();
        int sample = source.channels() * source.height() * source.width();
        float[] im = new float[b.size() * sample];
        System.arraycopy(b.images(), 0, im, 0, im.length);
        int[] lb = new int[b.size()];
        System.arraycopy(b.labels(), 0, lb, 0, b.size());
        out.add(new Batch(im, lb, b.size(), i));
      }
    }
    return new MemoryBatches(what + ": " + out.size() + " batches of " + source.description(), out,
        source.batchSize(), source);
  }

  List<Batch> batches() { return batches; }

  @Override public String description() { return description; }
  @Override public int numSamples() { return samples; }
  @Override public int channels() { return shape.channels(); }
  @Override public int height() { return shape.height(); }
  @Override public int width() { return shape.width(); }
  @Override public int numClasses() { return shape.numClasses(); }
  @Override public int batchSize() { return batchSize; }
  @Override public int batchesPerEpoch() { return batches.size(); }

  @Override
  public BatchIterator epoch(int epoch, int firstBatch) {
    Iterator<Batch> it = batches.subList(firstBatch, batches.size()).iterator();
    return new BatchIterator() {
      @Override public boolean hasNext() { return it.hasNext(); }
      @Override public Batch next() { return it.next(); }
      @Override public void close() {}
    };
  }
}
