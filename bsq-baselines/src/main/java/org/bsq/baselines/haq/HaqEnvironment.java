package org.bsq.baselines.haq;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.LayerCostTable;

/**
 * HAQ's quantization environment ({@code lib/env/linear_quantize_env.py} of mit-han-lab/haq, and
 * {@code quantize_env.py} for the weight-only mode): the agent walks the counted layers (projection shortcuts stay at
 * full precision) and picks, per layer, the weight bits and then the activation bits (or the weight bits only). After
 * the last action the episode's scheme is pushed under the cost budget by the reference's final-action wall, priced
 * with the objective's additive per-layer table. Stateful over one episode; not thread-safe.
 *
 * <p>The state of a step is the reference's layer embedding: {@code [depthwise, in channels, out channels, stride,
 * kernel, weight count, input feature-map size, layer index]} min-max normalized per feature over the counted layers,
 * followed by the previous action (its bits divided by the maximum bits; 1 at the start of an episode) and the
 * weight/activation flag (1: this step picks weight bits, 0: activation bits).
 */
public final class HaqEnvironment {
  /** Number of features of a state. */
  public static final int FEATURES = 10;
  /** Bits the reference's {@code _keep_first_last_layer} gives the first and last layers. */
  public static final int FIRST_LAST_BITS = 8;

  /**
   * How the environment maps actions to bits.
   *
   * @param minBits lowest bits of an action (and of the wall)
   * @param maxBits highest bits of an action
   * @param weightOnly one action per layer (weight bits); activations fixed at {@code activationBits}
   * @param activationBits activation bits of every counted layer in weight-only mode (0 = the model's own)
   * @param keepFirstLast the reference's {@code _keep_first_last_layer}: while the wall lowers bits, the first and last
   *     counted layers are held at 8-bit weights and activations (weights only in weight-only mode)
   */
  public record Settings(int minBits, int maxBits, boolean weightOnly, int activationBits, boolean keepFirstLast) {
    public Settings {
      if (minBits < 1 || maxBits < minBits || maxBits > 16) {
        throw new IllegalArgumentException("bits must satisfy 1 <= minBits <= maxBits <= 16, was " + minBits + ".."
            + maxBits);
      }
    }
  }

  private final LayerInventory inventory;
  private final LayerCostTable table;
  private final double limit;
  private final Settings settings;
  private final int[] counted;
  private final double[][] features;
  private final int[] weightBits;
  private final int[] activationBits;
  private int step;
  private double previous;
  private boolean done;

  /**
   * @param inventory the model's weight layers
   * @param table the objective's per-layer costs over {@code inventory}
   * @param limit the cost budget in the table's unit
   */
  public HaqEnvironment(LayerInventory inventory, LayerCostTable table, double limit, Settings settings) {
    this.inventory = inventory;
    this.table = table;
    this.limit = limit;
    this.settings = settings;
    this.counted = inventory.layers().stream().filter(l -> !l.projectionShortcut()).mapToInt(LayerInfo::index)
        .toArray();
    if (counted.length == 0) {
      throw new IllegalArgumentException("HAQ needs at least one counted layer, " + inventory.model() + " has none");
    }
    this.features = embedding(inventory, counted);
    this.weightBits = new int[inventory.size()];
    this.activationBits = new int[inventory.size()];
    reset();
  }

  /** The static part of the reference's layer embedding, normalized per feature (min-max over the counted layers). */
  static double[][] embedding(LayerInventory inventory, int[] counted) {
    double[][] out = new double[counted.length][8];
    for (int i = 0; i < counted.length; i++) {
      LayerInfo l = inventory.get(counted[i]);
      if (l.kind() == LayerInfo.Kind.CONV) {
        boolean depthwise = l.weightShape().get(1) == 1 && l.input().channels() > 1;
        out[i] = new double[] {depthwise ? 1 : 0, l.input().channels(), l.output().channels(), l.stride(), l.kernel(),
            l.weightCount(), (double) l.input().height() * l.input().width(), i};
      } else { // the reference's nn.Linear row: stride 0, kernel 1, a 1x1 input feature map
        out[i] = new double[] {0, l.weightShape().get(1), l.weightShape().get(0), 0, 1, l.weightCount(), 1, i};
      }
    }
    for (int f = 0; f < 8; f++) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (double[] row : out) {
        min = Math.min(min, row[f]);
        max = Math.max(max, row[f]);
      }
      if (max - min > 0) {
        for (double[] row : out) {
          row[f] = (row[f] - min) / (max - min);
        }
      }
    }
    return out;
  }

  public Settings settings() { return settings; }

  /** The cost budget. */
  public double limit() { return limit; }

  /** Number of counted layers (the agent's layers). */
  public int layers() { return counted.length; }

  /** Steps per episode: one or two per counted layer. */
  public int steps() { return counted.length * (settings.weightOnly() ? 1 : 2); }

  /** Whether step {@code step} picks weight bits. */
  public boolean isWeightStep(int step) { return settings.weightOnly() || step % 2 == 0; }

  /** Starts an episode; returns its first state. */
  public double[] reset() {
    step = 0;
    previous = 1.0;
    done = false;
    for (LayerInfo l : inventory) {
      weightBits[l.index()] = l.projectionShortcut() ? 32 : settings.maxBits();
      activationBits[l.index()] = l.projectionShortcut() ? 32
          : settings.weightOnly() ? settings.activationBits() : settings.maxBits();
    }
    return state();
  }

  /** The state of the current step (a fresh array). */
  public double[] state() {
    int s = Math.min(step, steps() - 1);
    int layer = s / (settings.weightOnly() ? 1 : 2);
    double[] out = Arrays.copyOf(features[layer], FEATURES);
    out[8] = previous;
    out[9] = isWeightStep(s) ? 1 : 0;
    return out;
  }

  /** The reference's {@code _action_wall}: {@code action} in [0, 1] to bits, equal widths per bit, round half even. */
  public int bits(double action) {
    double lower = settings.minBits() - 0.5;
    double upper = settings.maxBits() + 0.5;
    int bits = (int) Math.rint((upper - lower) * action + lower);
    // np.round gives maxBits + 1 at action 1 when that is even; the reference does not clamp, we do.
    return Math.max(settings.minBits(), Math.min(settings.maxBits(), bits));
  }

  /**
   * Applies an action; returns the next state (after the last action: the last state again, as the reference) and,
   * after the last action, runs the final-action wall.
   */
  public double[] step(double action) {
    if (done) {
      throw new IllegalStateException("the episode is over; reset() first");
    }
    int bits = bits(action);
    int layer = counted[step / (settings.weightOnly() ? 1 : 2)];
    if (isWeightStep(step)) {
      weightBits[layer] = bits;
    } else {
      activationBits[layer] = bits;
    }
    previous = (double) bits / settings.maxBits();
    if (step == steps() - 1) {
      done = true;
      wall();
      return state();
    }
    step++;
    return state();
  }

  public boolean done() { return done; }

  /**
   * The reference's {@code _final_action_wall}: while over budget, walks the counted layers from the last to the first,
   * lowering each one's activation bits and then its weight bits by one (not below the minimum), re-applying
   * {@code _keep_first_last_layer} after each change and stopping as soon as the scheme fits. Ends when a whole pass
   * changes nothing (the reference loops while {@code min_cost < cost}; {@link HaqStrategy#check} has ruled out budgets
   * below the cheapest scheme, so both end in budget).
   */
  void wall() {
    while (over()) {
      int[] w0 = weightBits.clone();
      int[] a0 = activationBits.clone();
      for (int i = counted.length - 1; i >= 0; i--) {
        int l = counted[i];
        if (!settings.weightOnly()) {
          if (activationBits[l] > settings.minBits()) {
            activationBits[l]--;
          }
          keepFirstLast();
          if (!over()) {
            break;
          }
        }
        if (weightBits[l] > settings.minBits()) {
          weightBits[l]--;
        }
        keepFirstLast();
        if (!over()) {
          break;
        }
      }
      if (Arrays.equals(w0, weightBits) && Arrays.equals(a0, activationBits)) {
        break;
      }
    }
  }

  private boolean over() { return cost() > limit * (1 + 1e-12); }

  /** Holds the first and last counted layers at 8 bits, when enabled. */
  private void keepFirstLast() {
    if (!settings.keepFirstLast()) {
      return;
    }
    for (int l : new int[] {counted[0], counted[counted.length - 1]}) {
      weightBits[l] = FIRST_LAST_BITS;
      if (!settings.weightOnly()) {
        activationBits[l] = FIRST_LAST_BITS;
      }
    }
  }

  /** The cost of the current bits by the table. */
  public double cost() { return table.total(weightBits, activationBits); }

  /** The current scheme (after the wall once the episode is done). */
  public QuantizationScheme scheme() {
    List<LayerPrecision> out = new ArrayList<>();
    for (LayerInfo l : inventory) {
      out.add(l.projectionShortcut() ? LayerPrecision.full(l.name())
          : LayerPrecision.of(l.name(), weightBits[l.index()], activationBits[l.index()]));
    }
    return new QuantizationScheme(out);
  }

  /**
   * The cheapest scheme the search can reach: every counted layer at the minimum bits (the first and last at 8 when
   * they are kept), the reference's {@code _min_cost}.
   */
  public static QuantizationScheme cheapest(LayerInventory inventory, Settings s) {
    List<LayerPrecision> out = new ArrayList<>();
    List<LayerInfo> countedLayers = inventory.layers().stream().filter(l -> !l.projectionShortcut()).toList();
    for (LayerInfo l : inventory) {
      if (l.projectionShortcut()) {
        out.add(LayerPrecision.full(l.name()));
        continue;
      }
      boolean kept = s.keepFirstLast() && (l == countedLayers.get(0) || l == countedLayers.get(countedLayers.size() - 1));
      int w = kept ? FIRST_LAST_BITS : s.minBits();
      int a = s.weightOnly() ? s.activationBits() : kept ? FIRST_LAST_BITS : s.minBits();
      out.add(LayerPrecision.of(l.name(), w, a));
    }
    return new QuantizationScheme(out);
  }

  /** The reference's reward: {@code scale * (acc - accFull)} with accuracies in percent. */
  public static double reward(double top1, double fullPrecisionTop1, double scale) {
    return scale * 100 * (top1 - fullPrecisionTop1);
  }
}
