package org.bsq.core.nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;
import org.bsq.core.data.BatchSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@link BatchSource} as a DL4J {@link DataSetIterator}: features {@code [n, C, H, W]} (normalized and augmented as
 * the source does it) and one-hot labels {@code [n, classes]}. Each {@link #reset()} moves to the next epoch, so the
 * shuffling and augmentation follow the source's (seed, epoch) rule.
 */
public final class BatchSourceIterator implements DataSetIterator {
  private static final long serialVersionUID = 1L;

  private final transient BatchSource source;
  private final List<String> labels;
  private transient BatchIterator current;
  private int epoch;
  private transient DataSetPreProcessor preProcessor;

  /** Starts at epoch {@code firstEpoch}. */
  public BatchSourceIterator(BatchSource source, int firstEpoch) {
    this.source = source;
    this.epoch = firstEpoch;
    List<String> names = new ArrayList<>();
    for (int c = 0; c < source.numClasses(); c++) {
      names.add(Integer.toString(c));
    }
    this.labels = List.copyOf(names);
    this.current = source.epoch(epoch);
  }

  /** The epoch the iterator is in. */
  public int epoch() { return epoch; }

  @Override
  public boolean hasNext() { return current.hasNext(); }

  @Override
  public DataSet next() {
    if (!hasNext()) {
      throw new NoSuchElementException("epoch " + epoch + " of " + source.description() + " has no more batches");
    }
    Batch b = current.next();
    int sample = source.channels() * source.height() * source.width();
    INDArray features = Nd4j.create(Arrays.copyOf(b.images(), b.size() * sample),
        new long[] {b.size(), source.channels(), source.height(), source.width()}, 'c');
    float[] oneHot = new float[b.size() * source.numClasses()];
    for (int i = 0; i < b.size(); i++) {
      oneHot[i * source.numClasses() + b.labels()[i]] = 1f;
    }
    DataSet ds = new DataSet(features, Nd4j.create(oneHot, new long[] {b.size(), source.numClasses()}, 'c'));
    if (preProcessor != null) {
      preProcessor.preProcess(ds);
    }
    return ds;
  }

  /** Not supported: the batch size belongs to the source. */
  @Override
  public DataSet next(int num) {
    throw new UnsupportedOperationException("the batch size is fixed by the source (" + source.batchSize()
        + "); call next()");
  }

  @Override
  public int inputColumns() { return source.channels() * source.height() * source.width(); }

  @Override
  public int totalOutcomes() { return source.numClasses(); }

  @Override
  public boolean resetSupported() { return true; }

  @Override
  public boolean asyncSupported() { return false; }

  /** Closes the current epoch and starts the next one. */
  @Override
  public void reset() {
    current.close();
    epoch++;
    current = source.epoch(epoch);
  }

  @Override
  public int batch() { return source.batchSize(); }

  @Override
  public void setPreProcessor(DataSetPreProcessor preProcessor) { this.preProcessor = preProcessor; }

  @Override
  public DataSetPreProcessor getPreProcessor() { return preProcessor; }

  @Override
  public List<String> getLabels() { return labels; }
}
