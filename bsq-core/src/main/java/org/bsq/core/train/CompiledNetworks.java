package org.bsq.core.train;

import java.util.Map;
import java.util.TreeMap;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;

/**
 * A model compiled once per distinct batch size (a data split's last batch is usually smaller), with input and
 * logit-gradient scratch arrays of the exact size for each. Not thread-safe. Close it to release the networks.
 */
public final class CompiledNetworks implements AutoCloseable {
  private final Backend backend;
  private final Model model;
  private final Map<Integer, Entry> networks = new TreeMap<>();

  private static final class Entry {
    final CompiledNetwork network;
    final float[] input;
    final float[] logitsGradient;

    Entry(CompiledNetwork network, int inputSize, int logitsSize) {
      this.network = network;
      this.input = new float[inputSize];
      this.logitsGradient = new float[logitsSize];
    }
  }

  public CompiledNetworks(Backend backend, Model model) {
    if (backend == null || model == null) {
      throw new IllegalArgumentException("backend and model must be given, was " + backend + ", " + model);
    }
    this.backend = backend;
    this.model = model;
  }

  public Backend backend() { return backend; }

  public Model model() { return model; }

  /** The network for batches of exactly {@code batchSize} samples, compiled on first use. */
  public CompiledNetwork forBatchSize(int batchSize) { return entry(batchSize).network; }

  /**
   * {@code images} as the network's input for a batch of {@code batchSize} samples: the array itself when it has
   * exactly {@code batchSize * C * H * W} floats, else a copy of its first samples into a scratch array.
   */
  public float[] input(int batchSize, float[] images) {
    Entry e = entry(batchSize);
    if (images.length == e.input.length) {
      return images;
    }
    if (images.length < e.input.length) {
      throw new IllegalArgumentException("batch images must hold at least " + e.input.length + " floats for "
          + batchSize + " samples, was " + images.length);
    }
    System.arraycopy(images, 0, e.input, 0, e.input.length);
    return e.input;
  }

  /** A scratch array for dL/dlogits of a batch of {@code batchSize} samples. */
  public float[] logitsGradient(int batchSize) { return entry(batchSize).logitsGradient; }

  /** Closes every compiled network; later calls compile again (after the model's structure changed). */
  public void invalidate() {
    RuntimeException failure = null;
    for (Entry e : networks.values()) {
      try {
        e.network.close();
      } catch (RuntimeException ex) {
        if (failure == null) {
          failure = ex;
        } else {
          failure.addSuppressed(ex);
        }
      }
    }
    networks.clear();
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void close() { invalidate(); }

  private Entry entry(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, was " + batchSize);
    }
    Entry e = networks.get(batchSize);
    if (e == null) {
      CompiledNetwork net = backend.compile(model, batchSize);
      int sample = model.graph().inputShape().size();
      e = new Entry(net, Math.multiplyExact(batchSize, sample), Math.multiplyExact(batchSize, model.graph().numClasses()));
      networks.put(batchSize, e);
    }
    return e;
  }
}
