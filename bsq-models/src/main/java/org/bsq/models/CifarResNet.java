package org.bsq.models;

import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;

/**
 * The CIFAR ResNets of He et al. as in the BSQ reference code ({@code models/cifar/resnet.py}, from
 * bearpaw/pytorch-classification): depth {@code 6n+2}; stem conv3x3 3->16 + BN + ReLU; three stages of {@code n}
 * BasicBlocks with 16, 32 and 64 channels (the first block of stages 2 and 3 has stride 2 and a 1x1 conv + BN
 * projection shortcut, {@code layerS.0.downsample.0/1}); global average pooling; fc with bias. 3x3 convs have no bias.
 * Layer names follow the reference state dict.
 */
public final class CifarResNet {
  private CifarResNet() {}

  /** Builds ResNet-{@code depth} ({@code depth = 6n+2}: 20, 32, 44, 56, 110, ...). */
  public static Graph build(int depth, ModelOptions options) {
    if (depth < 8 || (depth - 2) % 6 != 0) {
      throw new IllegalArgumentException("CIFAR ResNet depth must be 6n+2 with n >= 1 (20, 32, 44, 56, ...), was " + depth);
    }
    int blocks = (depth - 2) / 6;
    GraphBuilder b = new GraphBuilder("resnet" + depth, options.input().channels(), options.input().height(),
        options.input().width());
    int x = b.conv("conv1", b.input(), 16, 3, 1, 1);
    x = b.batchNorm("bn1", x);
    x = b.activation("relu", x, ActivationSpec.relu());
    int channels = 16;
    int[] widths = {16, 32, 64};
    for (int stage = 0; stage < 3; stage++) {
      for (int i = 0; i < blocks; i++) {
        int stride = (stage > 0 && i == 0) ? 2 : 1;
        x = basicBlock(b, "layer" + (stage + 1) + "." + i, x, channels, widths[stage], stride,
            options.blockActivation());
        channels = widths[stage];
      }
    }
    x = b.globalAvgPool(x);
    b.linear("fc", x, options.numClasses());
    return b.build();
  }

  private static int basicBlock(GraphBuilder b, String name, int input, int inChannels, int outChannels, int stride,
                                ActivationSpec act) {
    int out = b.conv(name + ".conv1", input, outChannels, 3, stride, 1);
    out = b.batchNorm(name + ".bn1", out);
    out = b.activation(name + ".act1", out, act);
    out = b.conv(name + ".conv2", out, outChannels, 3, 1, 1);
    out = b.batchNorm(name + ".bn2", out);
    int shortcut = input;
    if (stride != 1 || inChannels != outChannels) {
      shortcut = b.conv(name + ".downsample.0", input, outChannels, 1, stride, 0);
      shortcut = b.batchNorm(name + ".downsample.1", shortcut);
    }
    out = b.add(out, shortcut);
    return b.activation(name + ".act2", out, act);
  }
}
