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
 *
 * <p><b>Instruction set.</b> oneDNN picks its kernels, and with them the float summation order, by the CPU's
 * instruction set, so the same run gives slightly different numbers on an AVX2 and an AVX-512 machine. The
 * environment variable {@value #CPU_ISA_ENV} (e.g. {@code avx2}, see {@link CpuIsa}) caps it; it is applied when
 * oneDNN is first loaded (the first {@link #availability()}, before any kernel exists) and holds for the whole
 * process: oneDNN keeps this setting process-global and fixes it at its first kernel, so it cannot change later.
 */
public final class OneDnnBackend implements Backend {
  /** Backend name used in logs, provenance and {@code Backends.byName}. */
  public static final String NAME = "onednn";

  /**
   * Environment variable that caps oneDNN's instruction set, e.g. {@code avx2} (one of {@link CpuIsa#ids()}; unset or
   * {@code all}: no cap, oneDNN uses the best the CPU has, unless oneDNN's own {@code ONEDNN_MAX_CPU_ISA} says
   * otherwise, which this variable overrides).
   */
  public static final String CPU_ISA_ENV = "BSQ_CPU_ISA";

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

  /**
   * Whether oneDNN can be loaded, with the reason when it cannot (checked once per JVM, immutable). The first call
   * loads oneDNN and applies {@value #CPU_ISA_ENV}.
   *
   * @throws org.bsq.core.config.ConfigException when {@value #CPU_ISA_ENV} names no {@link CpuIsa} (the message
   *     lists the allowed values); it fails on every call, so {@code auto} never falls back silently
   * @throws IllegalStateException when oneDNN refused the cap (it had already fixed its instruction set because a
   *     oneDNN kernel was created before the first call) or the effective level exceeds it
   */
  public static Availability availability() {
    Probe p = AvailabilityHolder.PROBE;
    if (p.unknownCap() != null) {
      throw CpuIsa.unknown(p.unknownCap(), CPU_ISA_ENV);
    }
    if (p.capFailure() != null) {
      throw new IllegalStateException(p.capFailure());
    }
    return p.availability();
  }

  /**
   * Result of the one-time load check.
   *
   * @param available whether a oneDNN CPU engine could be created
   * @param reason "oneDNN x.y.z, ISA ..." when available (followed by ", capped by BSQ_CPU_ISA=..." when
   *     {@value #CPU_ISA_ENV} set a cap), else the loading error
   * @param cpuIsa the instruction set oneDNN's kernels use in this process, null when not available
   */
  public record Availability(boolean available, String reason, CpuIsa cpuIsa) {}

  @Override
  public String toString() { return "OneDnnBackend[" + convAlgorithm + "]"; }

  /**
   * The outcome of the one-time probe: {@code unknownCap} is the raw value of {@value #CPU_ISA_ENV} when it names no
   * level, {@code capFailure} says why a known cap did not take effect; otherwise {@code availability} holds.
   */
  private record Probe(Availability availability, String unknownCap, String capFailure) {}

  /** Lazily initialised, immutable result of trying to load the native library and apply the cap. */
  private static final class AvailabilityHolder {
    static final Probe PROBE = probe();

    private static Probe probe() {
      String raw = System.getenv(CPU_ISA_ENV);
      CpuIsa cap = null;
      if (raw != null && !raw.isBlank()) {
        try {
          cap = CpuIsa.parse(raw, CPU_ISA_ENV);
        } catch (IllegalArgumentException e) {
          return new Probe(null, raw, null);
        }
      }
      NativeProbe.Result r;
      try {
        r = NativeProbe.probe(cap);
      } catch (LinkageError | RuntimeException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
          root = root.getCause();
        }
        String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (root != e) {
          msg += " (cause " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        return new Probe(new Availability(false, msg, null), null, null);
      }
      String isa = "ISA " + r.effectiveIsa().id();
      if (cap != null) {
        if (r.capStatus() != 0) {
          String why = switch (r.capStatus()) {
            case org.bytedeco.dnnl.global.dnnl.dnnl_invalid_arguments -> "oneDNN had already fixed its instruction set"
                + " at " + r.effectiveIsa().id() + ": a oneDNN kernel was created before the oneDNN backend was first"
                + " used (call OneDnnBackend.availability() before any other oneDNN call)";
            case org.bytedeco.dnnl.global.dnnl.dnnl_unimplemented -> "this oneDNN build has no instruction-set cap";
            default -> "unexpected oneDNN status";
          };
          return new Probe(null, null, CPU_ISA_ENV + "=" + raw.trim() + " could not be applied: dnnl_set_max_cpu_isa"
              + " returned status " + r.capStatus() + "; " + why);
        }
        if (!cap.includes(r.effectiveIsa())) {
          return new Probe(null, null, CPU_ISA_ENV + "=" + raw.trim() + " did not take effect: oneDNN reports ISA "
              + r.effectiveIsa().id());
        }
        isa += ", capped by " + CPU_ISA_ENV + "=" + cap.id();
      }
      return new Probe(new Availability(true, "oneDNN " + r.version() + ", " + isa, r.effectiveIsa()), null, null);
    }
  }
}
