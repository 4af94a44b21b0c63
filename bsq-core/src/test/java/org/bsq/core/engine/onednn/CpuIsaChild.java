package org.bsq.core.engine.onednn;

import org.bsq.core.engine.Backends;
import org.bytedeco.dnnl.global.dnnl;

/**
 * Entry point of the child JVMs that {@link CpuIsaCapTest} starts: {@value OneDnnBackend#CPU_ISA_ENV} is read once
 * per process, so each setting needs its own JVM. Prints {@code isa=<effective level>} or {@code error=<message>}
 * (exit status 3). Modes: {@code probe} (default) asks {@link OneDnnBackend#availability()}; {@code auto} asks
 * {@code Backends.byName("auto")}; {@code lock-first} lets oneDNN fix its instruction set before the backend's probe.
 */
public final class CpuIsaChild {
  private CpuIsaChild() {}

  public static void main(String[] args) {
    String mode = args.length > 0 ? args[0] : "probe";
    try {
      if (mode.equals("lock-first")) {
        dnnl.dnnl_get_effective_cpu_isa();
      }
      if (mode.equals("auto")) {
        System.out.println("backend=" + Backends.byName("auto").name());
      }
      OneDnnBackend.Availability a = OneDnnBackend.availability();
      System.out.println(a.available() ? "isa=" + a.cpuIsa().id() : "unavailable=" + a.reason());
    } catch (RuntimeException e) {
      System.out.println("error=" + e.getClass().getSimpleName() + ": " + e.getMessage().replace('\n', ' '));
      System.exit(3);
    }
  }
}
