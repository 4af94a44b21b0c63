package org.bsq.core.engine;

import java.util.List;
import org.bsq.core.engine.onednn.OneDnnBackend;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Looks up training backends by name: {@code onednn}, {@code reference}, or {@code auto}. */
public final class Backends {
  /** The names {@link #byName(String)} accepts. */
  public static final List<String> NAMES = List.of(OneDnnBackend.NAME, ReferenceBackend.NAME, "auto");

  private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

  private Backends() {}

  /**
   * The backend with this name: {@code onednn} (fails with the loading error when the native library is missing),
   * {@code reference} (plain Java), or {@code auto} (oneDNN when it can be loaded, else the reference backend with a
   * warning that gives the reason).
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   * @throws IllegalStateException for {@code onednn} when oneDNN cannot be loaded
   */
  public static Backend byName(String name) {
    String key = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
    switch (key) {
      case OneDnnBackend.NAME: {
        OneDnnBackend.Availability a = OneDnnBackend.availability();
        if (!a.available()) {
          throw new IllegalStateException("backend 'onednn' must be loadable, was not: " + a.reason()
              + " (use 'reference' or 'auto')");
        }
        return new OneDnnBackend();
      }
      case ReferenceBackend.NAME:
        return new ReferenceBackend();
      case "auto": {
        OneDnnBackend.Availability a = OneDnnBackend.availability();
        if (a.available()) {
          return new OneDnnBackend();
        }
        LOG.warn("oneDNN is not available ({}); falling back to the much slower reference backend", a.reason());
        return new ReferenceBackend();
      }
      default:
        throw new IllegalArgumentException("backend name must be one of " + NAMES + ", was '" + name + "'");
    }
  }

  /**
   * The backend's name for headers and logs; for oneDNN followed by its version and the instruction set its kernels
   * use, e.g. {@code onednn (oneDNN 2.5.2, ISA avx2, capped by BSQ_CPU_ISA=avx2)}.
   */
  public static String describe(Backend backend) {
    if (!OneDnnBackend.NAME.equals(backend.name())) {
      return backend.name();
    }
    OneDnnBackend.Availability a = OneDnnBackend.availability();
    return backend.name() + " (" + a.reason() + ")";
  }
}
