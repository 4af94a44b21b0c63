package org.bsq.core.engine.onednn;

import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;

/** Loads oneDNN and describes it; kept apart so that a missing library only fails here. */
final class NativeProbe {
  private NativeProbe() {}

  /** Loads the library, creates and releases a CPU engine, and returns "oneDNN x.y.z, ISA ...". */
  static String describe() {
    try (engine eng = new engine(engine.kind.cpu, 0)) {
      if (eng.isNull()) {
        throw new IllegalStateException("oneDNN CPU engine could not be created");
      }
      dnnl_version_t v = dnnl.dnnl_version();
      return "oneDNN " + v.major() + "." + v.minor() + "." + v.patch() + ", ISA " + dnnl.get_effective_cpu_isa();
    }
  }
}
