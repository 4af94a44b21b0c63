package org.bsq.core.train;

import java.util.ArrayList;
import java.util.List;
import org.bsq.core.data.FractionalEpochs;

/**
 * Where a recipe's events fall, in optimizer steps, when a recipe of {@code R} epochs runs on a budget of {@code E}
 * epochs of {@code B} batches (docs/algorithm.md section 9; decision 0009). A pure value.
 *
 * <ul>
 *   <li><b>Whole budgets</b> ({@code E} integral, float noise below 1e-9 ignored): the run is {@code T = E * B} steps in {@code E} whole epochs, and
 *       every event is rounded to an epoch boundary exactly as before ({@link FractionalEpochs#scaleEpoch}): a recipe
 *       epoch {@code x} is the step {@code max(1, round(x * E / R)) * B}.</li>
 *   <li><b>Fractional budgets</b>: the run is {@code T = max(1, round(E * B))} steps, in {@code ceil(T / B)} epochs of
 *       which only the last is cut short, and a recipe epoch {@code x} is the step {@code max(1, round(x * T / R))}
 *       (within half a step of the recipe's fraction of the run). A periodic event of interval {@code I} recurs every
 *       {@code P = max(1, round(I * T / R))} steps, as the recipe's {@code epoch % I == 0}, as long as each occurrence
 *       {@code k * P} stays within one step of {@code k * I * T / R}; otherwise its occurrences are rounded one by
 *       one.</li>
 * </ul>
 *
 * <p>Example: ResNet-20 at scale 0.004 ({@code E = 1.4}, {@code B = 391}, {@code R = 350}): {@code T = 547}, the
 * milestone 250 is step 391, the re-quantization interval 100 is every 156 steps (before steps 156, 312, 468).
 *
 * @param recipeEpochs {@code R}
 * @param budgetEpochs {@code E}
 * @param stepsPerEpoch {@code B}
 * @param totalSteps {@code T}
 * @param epochs trainer epochs, {@code ceil(T / B)}
 * @param stepGranular whether events may fall inside epochs (fractional budgets)
 */
public record RecipePlan(double recipeEpochs, double budgetEpochs, int stepsPerEpoch, long totalSteps, int epochs,
    boolean stepGranular) {
  /** Absorbs float noise such as {@code 350 * 0.14 = 49.00000000000001}: that budget is 49 whole epochs. */
  private static final double WHOLE_EPSILON = 1e-9;

  /** Plans a budget of {@code budgetEpochs > 0} epochs of a recipe of {@code recipeEpochs} epochs. */
  public static RecipePlan of(double recipeEpochs, double budgetEpochs, int stepsPerEpoch) {
    if (!(recipeEpochs > 0) || Double.isInfinite(recipeEpochs)) {
      throw new IllegalArgumentException("recipe epochs must be a finite number > 0, was " + recipeEpochs);
    }
    if (stepsPerEpoch < 1) {
      throw new IllegalArgumentException("steps per epoch must be >= 1, was " + stepsPerEpoch);
    }
    int whole = FractionalEpochs.wholeEpochs(budgetEpochs);
    if (whole - budgetEpochs < WHOLE_EPSILON) {
      return new RecipePlan(recipeEpochs, budgetEpochs, stepsPerEpoch, (long) whole * stepsPerEpoch, whole, false);
    }
    long total = Math.max(1, Math.round(budgetEpochs * stepsPerEpoch));
    int epochs = (int) ((total + stepsPerEpoch - 1) / stepsPerEpoch);
    return new RecipePlan(recipeEpochs, budgetEpochs, stepsPerEpoch, total, epochs, true);
  }

  /** The step before which an event at recipe epoch {@code recipeEpoch > 0} happens. */
  public long stepOf(double recipeEpoch) {
    if (!stepGranular) {
      return (long) FractionalEpochs.scaleEpoch(recipeEpoch, recipeEpochs, epochs) * stepsPerEpoch;
    }
    return Math.max(1, Math.round(recipeEpoch * totalSteps / recipeEpochs));
  }

  /**
   * Learning-rate milestones in steps: {@link #stepOf} of each, without repeats and without those at or after the
   * end (they would never act). For whole budgets these are {@link FractionalEpochs#scaleMilestones} times
   * {@code B}.
   */
  public List<Long> milestoneSteps(List<Double> recipeMilestones) {
    List<Long> steps = new ArrayList<>();
    for (double m : recipeMilestones) {
      long s = stepOf(m);
      if (s < totalSteps && !steps.contains(s)) {
        steps.add(s);
      }
    }
    steps.sort(null);
    return List.copyOf(steps);
  }

  /**
   * The steps strictly inside the run before which an event of the recipe's period {@code recipeInterval} recurs
   * (the recipe's {@code epoch % interval == 0} for {@code epoch > 0}; step 0 and the end are the caller's).
   */
  public List<Long> periodicSteps(double recipeInterval) {
    if (!(recipeInterval > 0) || Double.isInfinite(recipeInterval)) {
      throw new IllegalArgumentException("interval must be a finite number > 0, was " + recipeInterval);
    }
    List<Long> steps = new ArrayList<>();
    if (!stepGranular) {
      long every = (long) FractionalEpochs.scaleEpoch(recipeInterval, recipeEpochs, epochs) * stepsPerEpoch;
      for (long s = every; s < totalSteps; s += every) {
        steps.add(s);
      }
      return List.copyOf(steps);
    }
    double exactPeriod = recipeInterval * totalSteps / recipeEpochs;
    long period = Math.max(1, Math.round(exactPeriod));
    List<Long> periodic = new ArrayList<>();
    boolean faithful = true;
    for (long k = 1; k * recipeInterval < recipeEpochs; k++) {
      long rounded = Math.max(1, Math.round(k * exactPeriod));
      if (rounded < totalSteps && !steps.contains(rounded)) {
        steps.add(rounded);
      }
      if (k * period < totalSteps) {
        periodic.add(k * period);
        faithful &= Math.abs(k * period - k * exactPeriod) <= 1;
      }
    }
    if (faithful && periodic.size() == steps.size()) {
      return List.copyOf(periodic);
    }
    return List.copyOf(steps);
  }
}
