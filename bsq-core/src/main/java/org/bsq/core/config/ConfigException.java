package org.bsq.core.config;

import java.util.List;

/** A configuration with problems; the message lists every problem, one per line, each with its key path. */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public ConfigException(String source, List<String> problems) {
    super(source + " has " + problems.size() + (problems.size() == 1 ? " problem" : " problems") + ":\n  - "
        + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  /** Each problem as {@code <path>: <rule>, was <value>}. */
  public List<String> problems() { return problems; }
}
