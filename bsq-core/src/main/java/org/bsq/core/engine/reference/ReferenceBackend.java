package org.bsq.core.engine.reference;

import java.util.List;
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
  private final List<MaskPin> maskPins;

  /** A backend using as many threads as the runtime reports processors. */
  public ReferenceBackend() {
    this(Runtime.getRuntime().availableProcessors());
  }

  /**
   * A backend whose compiled networks each use {@code parallelism} threads (1: everything runs in the calling
   * thread). Results do not depend on it.
   */
  public ReferenceBackend(int parallelism) {
    this(parallelism, List.of());
  }

  /**
   * A backend as {@link #ReferenceBackend(int)} whose compiled networks apply {@code maskPins} in every backward pass
   * (see {@link MaskPin}; for reproducing another implementation's step where a value sits on a clipping boundary).
   * Each pin's activation must exist, clip by a mask (not PACT) and hold the index at the compiled batch size, or
   * {@link #compile} throws.
   */
  public ReferenceBackend(int parallelism, List<MaskPin> maskPins) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be >= 1, was " + parallelism);
    }
    if (maskPins == null) {
      throw new IllegalArgumentException("mask pins must be given (empty for none), was null");
    }
    this.parallelism = parallelism;
    this.maskPins = List.copyOf(maskPins);
  }

  public int parallelism() { return parallelism; }

  /** The pinned backward mask decisions (empty for a plain backend). */
  public List<MaskPin> maskPins() { return maskPins; }

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
    return new ReferenceNetwork(model, batchSize, parallelism, maskPins);
  }

  @Override
  public String toString() {
    return "ReferenceBackend[parallelism=" + parallelism + (maskPins.isEmpty() ? "" : ", maskPins=" + maskPins) + "]";
  }
}
