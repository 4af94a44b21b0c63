package org.bsq.bench.cli;

/** A user error detected while running a command (unknown name, bad combination): exit code 2, one-line message. */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }

  /** Runs {@code action}, turning {@link IllegalArgumentException} (our validation errors) into usage errors. */
  public static <T> T usage(java.util.function.Supplier<T> action) {
    try {
      return action.get();
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }
}
