package org.bsq.models.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor read from a PyTorch checkpoint: its element type, shape and elements in C (row-major) order, copied out of
 * its storage (offset and strides applied). Immutable.
 */
public final class TorchTensor {
  private final TorchDType dtype;
  private final int[] shape;
  private final byte[] data; // little-endian, C order, shape's element count * dtype.size()

  TorchTensor(TorchDType dtype, int[] shape, byte[] data) {
    this.dtype = dtype;
    this.shape = shape.clone();
    this.data = data;
    long n = numElements(shape);
    if (n * dtype.size() != data.length) {
      throw new IllegalArgumentException("tensor data must be " + n * dtype.size() + " bytes for shape "
          + Arrays.toString(shape) + " of " + dtype + ", was " + data.length);
    }
  }

  /** A float32 tensor of {@code shape} holding {@code values} (C order). */
  public static TorchTensor ofFloats(int[] shape, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new TorchTensor(TorchDType.FLOAT32, shape, b.array());
  }

  public TorchDType dtype() { return dtype; }

  public int[] shape() { return shape.clone(); }

  public int numElements() { return (int) numElements(shape); }

  /** The elements as float32 (exact for float32; rounded from float64 and integers). */
  public float[] toFloatArray() {
    int n = numElements();
    float[] out = new float[n];
    ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    if (dtype == TorchDType.FLOAT32) {
      le.asFloatBuffer().get(out);
      return out;
    }
    for (int i = 0; i < n; i++) {
      out[i] = (float) dtype.get(le, i);
    }
    return out;
  }

  /** The elements of an integer or bool tensor, exactly. */
  public long[] toLongArray() {
    if (dtype.isFloatingPoint()) {
      throw new IllegalStateException("toLongArray needs an integer tensor, was " + dtype);
    }
    int n = numElements();
    long[] out = new long[n];
    ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      out[i] = dtype.getLong(le, i);
    }
    return out;
  }

  static long numElements(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  @Override
  public String toString() { return "TorchTensor[" + dtype + ", " + Arrays.toString(shape) + "]"; }
}
