/**
 * The oneDNN training backend ({@link org.bsq.core.engine.onednn.OneDnnBackend}): oneDNN 2.5 primitives called
 * through JavaCPP, primitives and memories created once per compiled network, activations kept in oneDNN's blocked
 * layouts, quantized activations and the classifier head in Java. See docs/decisions/0001-training-engine-onednn.md.
 */
package org.bsq.core.engine.onednn;
