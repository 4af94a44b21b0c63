package org.bsq.core.bsq;

import java.util.SplittableRandom;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.train.InMemoryBatchSource;
import org.bsq.core.train.Initializers;

/**
 * The small learnable task the BSQ tests train on: 6x6 single-channel images of vertical (class 0) or horizontal
 * (class 1) stripes with Gaussian noise, and a two-convolution network that learns it in a few steps.
 */
final class StripesFixture {
  static final int SIZE = 6;

  private StripesFixture() {}

  /** {@code samples} images (classes alternate), noise from {@code seed}, batches of {@code batch}. */
  static InMemoryBatchSource data(int samples, int batch, long seed, boolean shuffle) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] images = new float[samples * SIZE * SIZE];
    int[] labels = new int[samples];
    for (int s = 0; s < samples; s++) {
      labels[s] = s % 2;
      for (int y = 0; y < SIZE; y++) {
        for (int x = 0; x < SIZE; x++) {
          int coord = labels[s] == 0 ? x : y;
          images[s * SIZE * SIZE + y * SIZE + x] = (float) ((coord % 2 == 0 ? 1 : -1) + 0.3 * r.nextGaussian());
        }
      }
    }
    return new InMemoryBatchSource("stripes", images, labels, 1, SIZE, SIZE, 2, batch, seed, shuffle);
  }

  /** conv -> bn -> relu -> conv -> bn -> {@code secondActivation} -> gap -> fc, initialized from {@code seed}. */
  static Model model(long seed, ActivationSpec secondActivation) {
    GraphBuilder b = new GraphBuilder("stripes-net", 1, SIZE, SIZE);
    int x = b.conv("conv1", b.input(), 8, 3, 1, 1);
    x = b.activation("relu", b.batchNorm("bn1", x), ActivationSpec.relu());
    x = b.conv("conv2", x, 8, 3, 1, 1);
    x = b.activation("act2", b.batchNorm("bn2", x), secondActivation);
    b.linear("fc", b.globalAvgPool(x), 2);
    Model m = Model.withZeroParameters(b.build());
    Initializers.initialize(m, seed);
    return m;
  }
}
