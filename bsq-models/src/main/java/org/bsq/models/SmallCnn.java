package org.bsq.models;

import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;

/**
 * A small all-convolutional network for 28x28 single-channel images (the embedded Fashion-MNIST subset), about 60 k
 * parameters: four conv3x3 + BN + activation stages (16, 32 with stride 2, 64 with stride 2, 64), global average
 * pooling and fc. Same layer kinds as the ResNets, so every strategy applies to it unchanged.
 */
public final class SmallCnn {
  private SmallCnn() {}

  public static Graph build(ModelOptions options) {
    GraphBuilder b = new GraphBuilder("small-cnn", options.input().channels(), options.input().height(),
        options.input().width());
    int x = b.input();
    int[] widths = {16, 32, 64, 64};
    int[] strides = {1, 2, 2, 1};
    for (int i = 0; i < widths.length; i++) {
      String n = String.valueOf(i + 1);
      x = b.conv("conv" + n, x, widths[i], 3, strides[i], 1);
      x = b.batchNorm("bn" + n, x);
      x = b.activation("act" + n, x, i == 0 ? ActivationSpec.relu() : options.blockActivation());
    }
    x = b.globalAvgPool(x);
    b.linear("fc", x, options.numClasses());
    return b.build();
  }
}
