/**
 * Baseline strategies behind the {@link org.bsq.core.strategy.QuantizationStrategy} SPI: {@code uniform},
 * {@code scheme}, {@code random}, {@code hawq}.
 */
package org.bsq.baselines;
