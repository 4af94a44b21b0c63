package org.bsq.hwsim;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One layer of a workload with its precision. Immutable; validated on construction.
 *
 * @param name layer name
 * @param kind conv, fc, depthwise or grouped
 * @param batch samples processed together (BitFusion's benchmarks use 16)
 * @param inChannels input channels (input features for fc)
 * @param outChannels output channels (output features for fc)
 * @param inHeight input height (1 for fc)
 * @param inWidth input width (1 for fc)
 * @param outHeight output height (1 for fc)
 * @param outWidth output width (1 for fc)
 * @param kernel square kernel size (1 for fc)
 * @param stride stride (1 for fc)
 * @param groups convolution groups (1 for conv and fc, inChannels for depthwise)
 * @param weightBits weight bits, 0..32 (0 = pruned layer, costs nothing)
 * @param inputBits input activation bits, 0..32
 * @param outputBits stored output bits (the next layer's input bits; BitFusion always stores 32), 1..32
 * @param firstLayer fed by the network input; BitFusion maps it with im2col (kernel and channels reduced together)
 * @param bitPlanes optional bit-plane non-zero statistics of the weights (used by {@code pragmatic}), may be null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkloadLayer(String name, LayerKind kind, int batch, int inChannels, int outChannels, int inHeight,
                            int inWidth, int outHeight, int outWidth, int kernel, int stride, int groups,
                            int weightBits, int inputBits, int outputBits, boolean firstLayer,
                            BitPlaneStats bitPlanes) {
  /** Largest supported bit-width of any operand. */
  public static final int MAX_BITS = 32;

  public WorkloadLayer {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("layer name must be non-blank, was '" + name + "'");
    }
    if (kind == null) {
      throw new IllegalArgumentException("layer " + name + ": kind must be given, was null");
    }
    positive(name, "batch", batch);
    positive(name, "inChannels", inChannels);
    positive(name, "outChannels", outChannels);
    positive(name, "inHeight", inHeight);
    positive(name, "inWidth", inWidth);
    positive(name, "outHeight", outHeight);
    positive(name, "outWidth", outWidth);
    positive(name, "kernel", kernel);
    positive(name, "stride", stride);
    positive(name, "groups", groups);
    bits(name, "weightBits", weightBits, 0);
    bits(name, "inputBits", inputBits, 0);
    bits(name, "outputBits", outputBits, 1);
    switch (kind) {
      case FC -> {
        if (kernel != 1 || stride != 1 || inHeight != 1 || inWidth != 1 || outHeight != 1 || outWidth != 1
            || groups != 1) {
          throw new IllegalArgumentException("layer " + name
              + ": fc layers must have kernel, stride, groups and spatial sizes 1, was kernel " + kernel + " stride "
              + stride + " groups " + groups + " in " + inHeight + "x" + inWidth + " out " + outHeight + "x"
              + outWidth);
        }
      }
      case CONV -> {
        if (groups != 1) {
          throw new IllegalArgumentException("layer " + name + ": conv layers must have groups 1 (use grouped or "
              + "depthwise), was " + groups);
        }
      }
      case DEPTHWISE -> {
        if (groups != inChannels || outChannels % groups != 0) {
          throw new IllegalArgumentException("layer " + name + ": depthwise layers must have groups == inChannels "
              + "and outChannels a multiple of it, was groups " + groups + " in " + inChannels + " out "
              + outChannels);
        }
      }
      case GROUPED -> {
        if (groups < 2 || inChannels % groups != 0 || outChannels % groups != 0) {
          throw new IllegalArgumentException("layer " + name + ": grouped layers must have groups >= 2 dividing "
              + "both channel counts, was groups " + groups + " in " + inChannels + " out " + outChannels);
        }
      }
      default -> throw new IllegalStateException("unhandled kind " + kind);
    }
  }

  private static void positive(String layer, String what, int v) {
    if (v < 1) {
      throw new IllegalArgumentException("layer " + layer + ": " + what + " must be >= 1, was " + v);
    }
  }

  private static void bits(String layer, String what, int v, int min) {
    if (v < min || v > MAX_BITS) {
      throw new IllegalArgumentException("layer " + layer + ": " + what + " must be in [" + min + ", " + MAX_BITS
          + "], was " + v);
    }
  }

  /** A convolution layer (groups 1) with square input/output; the output size is given, padding is implied. */
  public static WorkloadLayer conv(String name, int batch, int inChannels, int outChannels, int inSize, int outSize,
                                   int kernel, int stride, int weightBits, int inputBits, int outputBits,
                                   boolean firstLayer) {
    return new WorkloadLayer(name, LayerKind.CONV, batch, inChannels, outChannels, inSize, inSize, outSize, outSize,
        kernel, stride, 1, weightBits, inputBits, outputBits, firstLayer, null);
  }

  /** A fully connected layer. */
  public static WorkloadLayer fc(String name, int batch, int inFeatures, int outFeatures, int weightBits,
                                 int inputBits, int outputBits) {
    return new WorkloadLayer(name, LayerKind.FC, batch, inFeatures, outFeatures, 1, 1, 1, 1, 1, 1, 1, weightBits,
        inputBits, outputBits, false, null);
  }

  /** Input channels per group. */
  @JsonIgnore
  public int inChannelsPerGroup() { return inChannels / groups; }

  /** Output channels per group. */
  @JsonIgnore
  public int outChannelsPerGroup() { return outChannels / groups; }

  /** Multiply-accumulates of the whole layer for the whole batch. */
  @JsonIgnore
  public long macs() {
    return (long) batch * outHeight * outWidth * outChannels * inChannelsPerGroup() * kernel * kernel;
  }

  /** Number of weights. */
  @JsonIgnore
  public long weightCount() {
    return (long) outChannels * inChannelsPerGroup() * kernel * kernel;
  }

  /** Bit operations {@code MACs * w * a} (the HAQ/HAWQ proxy; reported only). */
  @JsonIgnore
  public double bitOps() {
    return (double) macs() * weightBits * inputBits;
  }

  /** This layer with other bit-widths (the bit-plane statistics are kept). */
  public WorkloadLayer withBits(int weightBits, int inputBits, int outputBits) {
    return new WorkloadLayer(name, kind, batch, inChannels, outChannels, inHeight, inWidth, outHeight, outWidth,
        kernel, stride, groups, weightBits, inputBits, outputBits, firstLayer, bitPlanes);
  }

  /** This layer with another batch size. */
  public WorkloadLayer withBatch(int batch) {
    return new WorkloadLayer(name, kind, batch, inChannels, outChannels, inHeight, inWidth, outHeight, outWidth,
        kernel, stride, groups, weightBits, inputBits, outputBits, firstLayer, bitPlanes);
  }

  /** This layer with bit-plane statistics. */
  public WorkloadLayer withBitPlanes(BitPlaneStats stats) {
    return new WorkloadLayer(name, kind, batch, inChannels, outChannels, inHeight, inWidth, outHeight, outWidth,
        kernel, stride, groups, weightBits, inputBits, outputBits, firstLayer, stats);
  }
}
