package org.bsq.core.param;

import java.util.Arrays;

/**
 * One named tensor of a model: a trainable parameter (with a gradient array of the same size) or a buffer such as a
 * batch-norm running statistic (no gradient). Values are row-major in the order {@link #shape()} gives (OIHW for
 * conv weights, {@code [out, in]} for linear weights). The arrays are shared, not copied: the engine, the optimizer
 * and checkpoints all work on the one {@link ParameterStore}.
 */
public final class Parameter {
  private final String name;
  private final int[] shape;
  private final float[] value;
  private final float[] grad;
  private final ParameterRole role;

  public Parameter(String name, int[] shape, ParameterRole role) {
    this(name, shape, role, new float[checkedSize(name, shape)]);
  }

  public Parameter(String name, int[] shape, ParameterRole role, float[] value) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("parameter name must not be blank, was '" + name + "'");
    }
    int size = checkedSize(name, shape);
    if (value.length != size) {
      throw new IllegalArgumentException("parameter '" + name + "' with shape " + Arrays.toString(shape) + " needs "
          + size + " values, was " + value.length);
    }
    this.name = name;
    this.shape = shape.clone();
    this.role = role;
    this.value = value;
    this.grad = role.trainable() ? new float[size] : null;
  }

  private static int checkedSize(String name, int[] shape) {
    long size = 1;
    for (int d : shape) {
      if (d < 1) {
        throw new IllegalArgumentException("parameter '" + name + "' dimensions must be >= 1, was "
            + Arrays.toString(shape));
      }
      size *= d;
    }
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("parameter '" + name + "' is too large: " + size + " elements");
    }
    return (int) size;
  }

  public String name() { return name; }

  public int[] shape() { return shape.clone(); }

  public int size() { return value.length; }

  public ParameterRole role() { return role; }

  public boolean trainable() { return role.trainable(); }

  /** The live value array. */
  public float[] value() { return value; }

  /** The live gradient array; throws for buffers. */
  public float[] grad() {
    if (grad == null) {
      throw new IllegalStateException("parameter '" + name + "' is a " + role + " buffer and has no gradient");
    }
    return grad;
  }

  public boolean hasSameShape(int[] other) { return Arrays.equals(shape, other); }

  @Override
  public String toString() { return name + Arrays.toString(shape) + " " + role; }
}
