package org.bsq.core.config;

/**
 * Marks a record whose keys are alternatives (e.g. a budget given as a {@code ratio} or as a {@code value}): when a
 * file gives it, {@link ConfigBinder} takes it as written, and no default (neither the enclosing record's nor the
 * record's own {@code defaults()}) fills its other keys, which keep Java's zero values. When the file leaves it out,
 * the enclosing record's default applies as a whole.
 */
public interface Alternatives {}
