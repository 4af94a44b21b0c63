/** Baseline strategies behind the {@link org.bsq.core.strategy.QuantizationStrategy} SPI: {@code uniform}, {@code scheme}. */
package org.bsq.baselines;
