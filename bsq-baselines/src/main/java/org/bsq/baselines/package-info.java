/** Baseline strategies behind the QuantizationStrategy SPI; empty until the SPI lands. */
package org.bsq.baselines;
