package org.bsq.core.graph;

import java.util.List;

/**
 * One operation of a {@link Graph}. Operations are immutable descriptions; backends compile them into kernels.
 * Every op refers to its inputs by node index (an index into {@link Graph#ops()}, always smaller than its own).
 * Tensors are NCHW; the batch dimension is not part of a shape here.
 */
public sealed interface Op {
  /** Names of the inputs, as node indices. */
  List<Integer> inputs();

  /** The network input: {@code channels x height x width} images. Always node 0. */
  record Input(int channels, int height, int width) implements Op {
    public List<Integer> inputs() { return List.of(); }
  }

  /**
   * 2-D convolution without bias, square kernel, symmetric zero padding. Parameter {@code <name>.weight},
   * shape {@code [out, in, k, k]} (OIHW).
   */
  record Conv2d(String name, int input, int outChannels, int kernel, int stride, int padding) implements Op {
    public List<Integer> inputs() { return List.of(input); }
  }

  /**
   * Batch normalization over channels. Parameters {@code <name>.weight}, {@code <name>.bias} (trainable),
   * {@code <name>.running_mean}, {@code <name>.running_var} (buffers). Training mode normalizes with the batch
   * statistics (biased variance) and updates the running statistics with {@code momentum}, using the unbiased batch
   * variance, as PyTorch does.
   */
  record BatchNorm(String name, int input, float eps, float momentum) implements Op {
    public List<Integer> inputs() { return List.of(input); }

    /** {@link #eps} as the double of its decimal value ({@code 1e-5f -> 1e-5}), as PyTorch's Python float. */
    public double epsDecimal() { return Double.parseDouble(Float.toString(eps)); }

    /** {@link #momentum} as the double of its decimal value ({@code 0.1f -> 0.1}), as PyTorch's Python float. */
    public double momentumDecimal() { return Double.parseDouble(Float.toString(momentum)); }
  }

  /** Element-wise activation; {@code name} owns the PACT alpha parameter when the spec has one. */
  record Activation(String name, int input, ActivationSpec spec) implements Op {
    public List<Integer> inputs() { return List.of(input); }
  }

  /** Element-wise sum of two tensors of the same shape (the residual add). */
  record Add(int left, int right) implements Op {
    public List<Integer> inputs() { return List.of(left, right); }
  }

  /** Mean over the spatial dimensions: {@code [C, H, W] -> [C, 1, 1]}. */
  record GlobalAvgPool(int input) implements Op {
    public List<Integer> inputs() { return List.of(input); }
  }

  /**
   * Fully connected layer {@code y = x W^T + b} on the flattened input. Parameters {@code <name>.weight}
   * {@code [out, in]} and {@code <name>.bias} {@code [out]}.
   */
  record Linear(String name, int input, int outFeatures) implements Op {
    public List<Integer> inputs() { return List.of(input); }
  }
}
