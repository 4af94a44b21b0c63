package org.bsq.core.engine.onednn;

import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;

/**
 * Loads oneDNN, applies the instruction-set cap and describes it; kept apart so that a missing library only fails
 * here.
 */
final class NativeProbe {
  private NativeProbe() {}

  /**
   * What the probe found.
   *
   * @param version "x.y.z"
   * @param effectiveIsa the level oneDNN's kernels use from now on
   * @param capStatus oneDNN's status of {@code dnnl_set_max_cpu_isa} (0 = success), or 0 when no cap was asked for
   */
  record Result(String version, CpuIsa effectiveIsa, int capStatus) {}

  /**
   * Loads the library, caps its instruction set at {@code cap} (null: leave oneDNN's own choice), creates and
   * releases a CPU engine, and reads the version and the effective instruction set. Reading the effective level
   * fixes it for the rest of the process, as does oneDNN's first JIT kernel, so this must run before any primitive.
   */
  static Result probe(CpuIsa cap) {
    int capStatus = cap == null ? dnnl.dnnl_success : dnnl.dnnl_set_max_cpu_isa(cap.code());
    try (engine eng = new engine(engine.kind.cpu, 0)) {
      if (eng.isNull()) {
        throw new IllegalStateException("oneDNN CPU engine could not be created");
      }
      dnnl_version_t v = dnnl.dnnl_version();
      return new Result(v.major() + "." + v.minor() + "." + v.patch(), CpuIsa.ofCode(dnnl.dnnl_get_effective_cpu_isa()),
          capStatus);
    }
  }
}
