package org.bsq.core.search;

/** A search asked for more than its budget ({@code strategy.budget.evaluations} or {@code seconds}) allows. */
public final class BudgetExhaustedException extends RuntimeException {
  public BudgetExhaustedException(String message) {
    super(message);
  }
}
