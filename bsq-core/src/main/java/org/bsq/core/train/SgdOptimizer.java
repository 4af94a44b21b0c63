package org.bsq.core.train;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterStore;

/**
 * Stochastic gradient descent with {@code torch.optim.SGD}'s exact update (dampening 0), in float32, for every
 * trainable parameter of a {@link ParameterStore}, in store order:
 *
 * <pre>
 *   d = g + wd * p                      (only when wd != 0 and the parameter's role is decayed)
 *   buf = d                             (first step of this parameter)
 *   buf = momentum * buf + d            (later steps)
 *   d = nesterov ? d + momentum * buf : buf      (only when momentum != 0)
 *   p = p - lr * d
 * </pre>
 *
 * Every operation is rounded to float32 separately (no fused multiply-add); PyTorch's vectorized CPU kernels may fuse
 * {@code a + alpha * b}, so individual values can differ from PyTorch by one unit in the last place.
 *
 * <p>State (the momentum buffer) is kept per parameter name together with the parameter's shape. It is dropped
 * automatically when the parameter's shape changed since the last step and when the parameter left the store;
 * {@link #reset(String)} and {@link #resetAll()} drop it explicitly (strategies that rebuild parameters call them, as the
 * BSQ reference re-creates its optimizer). Parameters whose gradient is zero are still updated (weight decay and
 * momentum apply); PyTorch would skip a parameter whose gradient is {@code None}.
 */
public final class SgdOptimizer {
  private final SgdSettings settings;
  private double learningRate;
  private final Map<String, State> state = new LinkedHashMap<>();

  private static final class State {
    final int[] shape;
    final float[] buffer;

    State(int[] shape, float[] buffer) {
      this.shape = shape;
      this.buffer = buffer;
    }
  }

  public SgdOptimizer(SgdSettings settings) {
    if (settings == null) {
      throw new IllegalArgumentException("optimizer settings must be given, was null");
    }
    this.settings = settings;
    this.learningRate = settings.learningRate();
  }

  public SgdSettings settings() { return settings; }

  /** The learning rate the next {@link #step} uses (initially the settings' base rate). */
  public double learningRate() { return learningRate; }

  /** Sets the learning rate of the next steps (what a schedule does to PyTorch's {@code param_groups[0]['lr']}). */
  public void setLearningRate(double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("learning rate must be finite and >= 0, was " + value);
    }
    this.learningRate = value;
  }

  /** Updates every trainable parameter of {@code store} from its gradient array, in store order. */
  public void step(ParameterStore store) {
    float lr = (float) learningRate;
    float momentum = (float) settings.momentum();
    float wd = (float) settings.weightDecay();
    boolean nesterov = settings.nesterov();
    Set<String> seen = new HashSet<>();
    for (Parameter p : store.all()) {
      if (!p.trainable()) {
        continue;
      }
      seen.add(p.name());
      float[] w = p.value();
      float[] g = p.grad();
      boolean decay = settings.decays(p.role());
      int n = w.length;
      if (momentum == 0f) {
        for (int i = 0; i < n; i++) {
          float d = g[i];
          if (decay) {
            d = d + wd * w[i];
          }
          w[i] = w[i] - lr * d;
        }
        continue;
      }
      State s = state.get(p.name());
      if (s != null && !(s.buffer.length == n && p.hasSameShape(s.shape))) {
        s = null;
      }
      if (s == null) {
        float[] buf = new float[n];
        for (int i = 0; i < n; i++) {
          float d = g[i];
          if (decay) {
            d = d + wd * w[i];
          }
          buf[i] = d;
          if (nesterov) {
            d = d + momentum * d;
          }
          w[i] = w[i] - lr * d;
        }
        state.put(p.name(), new State(p.shape(), buf));
      } else {
        float[] buf = s.buffer;
        for (int i = 0; i < n; i++) {
          float d = g[i];
          if (decay) {
            d = d + wd * w[i];
          }
          float b = momentum * buf[i] + d;
          buf[i] = b;
          d = nesterov ? d + momentum * b : b;
          w[i] = w[i] - lr * d;
        }
      }
    }
    state.keySet().retainAll(seen);
  }

  /** Drops the state of one parameter (its next step is a first step). Unknown names are ignored. */
  public void reset(String name) { state.remove(name); }

  /** Drops all state. */
  public void resetAll() { state.clear(); }

  /** Names of the parameters that have a momentum buffer, in the order they got it. */
  public Set<String> stateNames() { return Collections.unmodifiableSet(state.keySet()); }

  /** A copy of a parameter's momentum buffer, or null when it has none. */
  public float[] momentumBuffer(String name) {
    State s = state.get(name);
    return s == null ? null : s.buffer.clone();
  }

  /** The shape the momentum buffer of {@code name} was created for, or null when it has none. */
  public int[] momentumShape(String name) {
    State s = state.get(name);
    return s == null ? null : s.shape.clone();
  }

  /** Installs a momentum buffer (used by checkpoint restore); the values are copied. */
  public void setMomentumBuffer(String name, int[] shape, float[] values) {
    long size = 1;
    for (int d : shape) {
      size *= d;
    }
    if (size != values.length) {
      throw new IllegalArgumentException("momentum buffer of '" + name + "' with shape " + Arrays.toString(shape)
          + " needs " + size + " values, was " + values.length);
    }
    state.put(name, new State(shape.clone(), values.clone()));
  }
}
