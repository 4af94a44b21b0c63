package org.bsq.core.config;

import java.util.List;

/** A configuration record that checks its own values after binding. */
public interface Validated {
  /**
   * Adds a problem for every invalid value, each starting with its key path relative to this record (the binder
   * prefixes the record's own path), e.g. {@code "epochs: must be >= 0, was -1"}.
   */
  void validate(List<String> problems);
}
