package org.bsq.core.bsq;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.param.Parameter;
import org.junit.jupiter.api.Assumptions;

/**
 * The CIFAR ResNet-20 of the BSQ reference ({@code models/cifar/resnet.py}), built here with {@link GraphBuilder}
 * (bsq-core cannot depend on bsq-models), and the authors' pretrained weights read from
 * {@code ${bsq.shared.dir}/data/pretrained/resnet20-cifar10-fp32/<name>.f32} (raw little-endian float32).
 */
final class ResNet20Fixture {
  private ResNet20Fixture() {}

  static Graph graph() {
    GraphBuilder b = new GraphBuilder("resnet20", 3, 32, 32);
    int x = b.conv("conv1", b.input(), 16, 3, 1, 1);
    x = b.activation("relu", b.batchNorm("bn1", x), ActivationSpec.relu());
    int channels = 16;
    int[] widths = {16, 32, 64};
    for (int stage = 0; stage < 3; stage++) {
      for (int i = 0; i < 3; i++) {
        int stride = stage > 0 && i == 0 ? 2 : 1;
        String name = "layer" + (stage + 1) + "." + i;
        int out = b.conv(name + ".conv1", x, widths[stage], 3, stride, 1);
        out = b.activation(name + ".act1", b.batchNorm(name + ".bn1", out), ActivationSpec.quantized(4));
        out = b.batchNorm(name + ".bn2", b.conv(name + ".conv2", out, widths[stage], 3, 1, 1));
        int shortcut = x;
        if (stride != 1 || channels != widths[stage]) {
          shortcut = b.batchNorm(name + ".downsample.1", b.conv(name + ".downsample.0", x, widths[stage], 1, stride, 0));
        }
        x = b.activation(name + ".act2", b.add(out, shortcut), ActivationSpec.quantized(4));
        channels = widths[stage];
      }
    }
    b.linear("fc", b.globalAvgPool(x), 10);
    return b.build();
  }

  static Path weightsDir() {
    String dir = System.getProperty("bsq.shared.dir");
    Assumptions.assumeTrue(dir != null, "system property bsq.shared.dir is not set; skipping the ResNet-20 golden test");
    Path p = Path.of(dir, "data", "pretrained", "resnet20-cifar10-fp32");
    Assumptions.assumeTrue(Files.isRegularFile(p.resolve("conv1.weight.f32")),
        "pretrained ResNet-20 weights are absent from " + p + "; skipping the ResNet-20 golden test");
    return p;
  }

  /** ResNet-20 with the pretrained float weights (every parameter and BN buffer). */
  static Model pretrained() {
    Path dir = weightsDir();
    Model m = Model.withZeroParameters(graph());
    for (Parameter p : m.parameters().all()) {
      Path f = dir.resolve(p.name() + ".f32");
      if (!Files.isRegularFile(f)) {
        continue; // PACT clip levels etc. (none in this graph)
      }
      try {
        ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        if (bb.remaining() != 4 * p.size()) {
          throw new IllegalStateException(f + " must hold " + p.size() + " floats, was " + bb.remaining() / 4);
        }
        bb.asFloatBuffer().get(p.value());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return m;
  }
}
