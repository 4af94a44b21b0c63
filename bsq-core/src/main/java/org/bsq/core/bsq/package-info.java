/**
 * BSQ (Yang et al., ICLR 2021): bit-level representation of weights, the memory-aware bit-level group Lasso,
 * re-quantization and precision adjustment, in plain Java with the reference code's exact float32 semantics.
 *
 * <ul>
 *   <li>{@link org.bsq.core.bsq.BitMath}: the kernels (decompose, reconstruct, straight-through backward, group norms,
 *   clamp, statistics) over element-major {@code float[]} planes;</li>
 *   <li>{@link org.bsq.core.bsq.BitPlanes}: one tensor's planes and scale, with {@code requantize} ({@code quant(maxbit)})
 *   and {@code adjustPrecision} ({@code pruning(threshold, drop)});</li>
 *   <li>engine integration: {@link org.bsq.core.bsq.BitRepresentation} (install into a model),
 *   {@link org.bsq.core.bsq.BitPlaneWeightSource}, {@link org.bsq.core.bsq.BitLassoRegularizer},
 *   {@link org.bsq.core.bsq.PlaneClampHook}, {@link org.bsq.core.bsq.RequantizeHook};</li>
 *   <li>the strategy: {@link org.bsq.core.bsq.BsqStrategy} (registered as {@code bsq} by
 *   {@link org.bsq.core.bsq.BsqPlugin}), the BSQ training phase behind the
 *   {@link org.bsq.core.strategy.QuantizationStrategy} SPI.</li>
 * </ul>
 * Checked against the golden vectors {@code golden/bsq/01..05, 07, 08} (see the tests).
 */
package org.bsq.core.bsq;
