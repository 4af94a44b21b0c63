package org.bsq.core.engine.onednn;

import org.bsq.core.engine.Backend;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;

/**
 * The fast training backend: oneDNN 2.5 primitives called directly through JavaCPP
 * ({@code org.bytedeco:dnnl}). Convolutions, batch norm, ReLU/ReLU6 and the residual add run as oneDNN primitives
 * on activations kept in the blocked layout oneDNN picks; the quantized activations, global average pooling, the
 * linear head and the logits exchange are plain Java. Every primitive, memory and argument map is created once in
 * {@link #compile}; a step only executes them. Its results equal the plain-Java reference backend up to float
 * summation order.
 *
 * <p>oneDNN runs on OpenMP and honours {@code OMP_NUM_THREADS}. Use {@link #isAvailable()} /
 * {@link #availability()} before compiling to fall back to another backend when the native library cannot be
 * loaded.
 */
public final class OneDnnBackend implements Backend {
  /** Backend name used in logs, provenance and {@code Backends.byName}. */
  public static final String NAME = "onednn";

  private final ConvAlgorithm convAlgorithm;

  /** A backend using {@link ConvAlgorithm#DIRECT} convolutions. */
  public OneDnnBackend() {
    this(ConvAlgorithm.DIRECT);
  }

  /** A backend using the given convolution algorithm. */
  public OneDnnBackend(ConvAlgorithm convAlgorithm) {
    if (convAlgorithm == null) {
      throw new IllegalArgumentException("convolution algorithm must be given, was null");
    }
    this.convAlgorithm = convAlgorithm;
  }

  public ConvAlgorithm convAlgorithm() { return convAlgorithm; }

  @Override
  public String name() { return NAME; }

  /**
   * Compiles the model for batches of exactly {@code batchSize} samples.
   *
   * @throws IllegalStateException if oneDNN cannot be loaded (the message gives the reason)
   */
  @Override
  public CompiledNetwork compile(Model model, int batchSize) {
    if (model == null) {
      throw new IllegalArgumentException("model must be given, was null");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, was " + batchSize);
    }
    Availability a = availability();
    if (!a.available()) {
      throw new IllegalStateException("oneDNN backend is not available: " + a.reason());
    }
    return new OneDnnNetwork(model, batchSize, convAlgorithm);
  }

  /** Whether the oneDNN native library can be loaded on this machine (checked once per JVM). */
  public static boolean isAvailable() { return availability().available(); }

  /** Whether oneDNN can be loaded, with the reason when it cannot (checked once per JVM, immutable). */
  public static Availability availability() { return AvailabilityHolder.RESULT; }

  /**
   * Result of the one-time load check.
   *
   * @param available whether a oneDNN CPU engine could be created
   * @param reason "oneDNN x.y.z, ISA ..." when available, else the loading error
   */
  public record Availability(boolean available, String reason) {}

  @Override
  public String toString() { return "OneDnnBackend[" + convAlgorithm + "]"; }

  /** Lazily initialised, immutable result of trying to load the native library. */
  private static final class AvailabilityHolder {
    static final Availability RESULT = probe();

    private static Availability probe() {
      try {
        return new Availability(true, NativeProbe.describe());
      } catch (LinkageError | RuntimeException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
          root = root.getCause();
        }
        String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (root != e) {
          msg += " (cause " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        return new Availability(false, msg);
      }
    }
  }
}
