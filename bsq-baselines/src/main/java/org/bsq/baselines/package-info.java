/** Baseline strategies behind the {@link org.bsq.core.strategy.QuantizationStrategy} SPI: {@code uniform}. */
package org.bsq.baselines;
