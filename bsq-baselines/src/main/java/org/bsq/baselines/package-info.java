/**
 * Baseline strategies behind the {@link org.bsq.core.strategy.QuantizationStrategy} SPI: {@code uniform},
 * {@code scheme}, {@code random}, {@code hawq}, and {@code haq} (in {@link org.bsq.baselines.haq}).
 */
package org.bsq.baselines;
