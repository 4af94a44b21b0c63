package org.bsq.core.engine;

/** Compiles a {@link Model} into kernels for one batch size. */
public interface Backend {
  /** Short name, for logs and provenance ("onednn", "reference"). */
  String name();

  /**
   * Compiles the model for batches of exactly {@code batchSize} samples. Kernels, buffers and primitives are created
   * once here and reused by every call on the result.
   */
  CompiledNetwork compile(Model model, int batchSize);
}
