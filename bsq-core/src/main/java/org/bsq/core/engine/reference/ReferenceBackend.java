package org.bsq.core.engine.reference;

import org.bsq.core.engine.Backend;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;

/**
 * The plain-Java reference backend: straightforward loops over heap {@code float[]} tensors in NCHW layout, with
 * double accumulation in every sum (convolutions, linear layers, batch statistics, pooling). It is the ground truth
 * the native backends are checked against and the fallback where no native backend is available.
 *
 * <p>Work is spread over a private fork-join pool per compiled network (over samples, output channels or weight
 * elements). Every output element is computed by exactly one task, and every reduction runs in one fixed order, so
 * results are bitwise identical for any parallelism.
 *
 * <p>Semantics follow PyTorch and the official BSQ code: batch norm in training mode normalizes with the biased batch
 * variance and updates the running statistics with the unbiased one; quantized activations use one scale for the
 * whole batch tensor and a straight-through backward (see {@link org.bsq.core.graph.ActivationSpec}).
 */
public final class ReferenceBackend implements Backend {
  /** Value of {@link #name()}. */
  public static final String NAME = "reference";

  private final int parallelism;

  /** A backend using as many threads as the runtime reports processors. */
  public ReferenceBackend() {
    this(Runtime.getRuntime().availableProcessors());
  }

  /**
   * A backend whose compiled networks each use {@code parallelism} threads (1: everything runs in the calling
   * thread). Results do not depend on it.
   */
  public ReferenceBackend(int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be >= 1, was " + parallelism);
    }
    this.parallelism = parallelism;
  }

  public int parallelism() { return parallelism; }

  @Override
  public String name() { return NAME; }

  @Override
  public CompiledNetwork compile(Model model, int batchSize) {
    if (model == null) {
      throw new IllegalArgumentException("model must be given, was null");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, was " + batchSize);
    }
    return new ReferenceNetwork(model, batchSize, parallelism);
  }

  @Override
  public String toString() { return "ReferenceBackend[parallelism=" + parallelism + "]"; }
}
