/**
 * Quantization values: {@link org.bsq.core.quant.Precision}, {@link org.bsq.core.quant.LayerPrecision} and
 * {@link org.bsq.core.quant.QuantizationScheme} (average bits, paper compression and whole-model size against a
 * {@link org.bsq.core.graph.LayerInventory}). Plain Java, immutable.
 */
package org.bsq.core.quant;
