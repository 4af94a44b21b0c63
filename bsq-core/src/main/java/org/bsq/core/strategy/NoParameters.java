package org.bsq.core.strategy;

/** The parameters of a strategy that takes none: any key under {@code strategy.params} is an error. */
public record NoParameters() {}
