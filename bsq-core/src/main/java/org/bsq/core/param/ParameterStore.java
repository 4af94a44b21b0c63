package org.bsq.core.param;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The one store of a model's parameters and buffers, in model order. The engine reads weights from it and adds
 * gradients into it, the optimizer updates it, checkpoints save and restore it. Strategies may add, replace and
 * remove their own tensors between steps (for example when BSQ changes a layer's number of bit planes).
 */
public final class ParameterStore {
  private final Map<String, Parameter> params = new LinkedHashMap<>();

  public ParameterStore() {}

  /** Adds a new parameter; its name must be unused. */
  public Parameter add(Parameter p) {
    if (params.containsKey(p.name())) {
      throw new IllegalArgumentException("parameter '" + p.name() + "' already exists");
    }
    params.put(p.name(), p);
    return p;
  }

  /** Replaces an existing parameter (possibly with another shape), keeping its position in model order. */
  public Parameter replace(Parameter p) {
    get(p.name());
    params.put(p.name(), p);
    return p;
  }

  public Parameter remove(String name) {
    Parameter p = get(name);
    params.remove(name);
    return p;
  }

  public boolean contains(String name) { return params.containsKey(name); }

  /** The parameter with this name; the error lists the known names. */
  public Parameter get(String name) {
    Parameter p = params.get(name);
    if (p == null) {
      throw new IllegalArgumentException("unknown parameter '" + name + "'; known: " + new TreeSet<>(params.keySet()));
    }
    return p;
  }

  public Collection<Parameter> all() { return Collections.unmodifiableCollection(params.values()); }

  public List<Parameter> trainable() {
    List<Parameter> out = new ArrayList<>();
    for (Parameter p : params.values()) {
      if (p.trainable()) {
        out.add(p);
      }
    }
    return out;
  }

  /** Number of trainable scalars. */
  public long trainableCount() {
    long n = 0;
    for (Parameter p : params.values()) {
      if (p.trainable()) {
        n += p.size();
      }
    }
    return n;
  }

  public void zeroGradients() {
    for (Parameter p : params.values()) {
      if (p.trainable()) {
        java.util.Arrays.fill(p.grad(), 0f);
      }
    }
  }

  public int size() { return params.size(); }
}
