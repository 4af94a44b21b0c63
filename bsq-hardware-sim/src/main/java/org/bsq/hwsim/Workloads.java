package org.bsq.hwsim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Built-in workloads: ResNet-18 for ImageNet (torchvision layout, not in bsq-models) and BitFusion's eight benchmark
 * networks with their published bit-widths (bitfusion/src/benchmarks/benchmarks.py, WRPN variants, batch 16), which
 * the golden tests replay.
 */
public final class Workloads {
  /** BitFusion's benchmark batch size. */
  public static final int BITFUSION_BATCH = 16;

  private Workloads() {}

  /** Names accepted by {@link #byName}. */
  public static List<String> names() {
    List<String> n = new ArrayList<>(List.of("resnet18-imagenet"));
    bitfusionBenchmarks().keySet().forEach(k -> n.add("bitfusion-" + k.toLowerCase(java.util.Locale.ROOT)));
    return n;
  }

  /**
   * A built-in workload: {@code resnet18-imagenet} (at the given uniform bits, 8-bit image input) or one of BitFusion's
   * benchmarks ({@code bitfusion-alexnet}, ..., with their own bits; the bits arguments are ignored).
   */
  public static Workload byName(String name, int batch, int weightBits, int activationBits) {
    if (name.equals("resnet18-imagenet")) {
      return resnet18ImageNet(batch, weightBits, activationBits);
    }
    for (Map.Entry<String, Workload> e : bitfusionBenchmarks().entrySet()) {
      if (name.equals("bitfusion-" + e.getKey().toLowerCase(java.util.Locale.ROOT))) {
        return e.getValue().withBatch(batch);
      }
    }
    throw new IllegalArgumentException("unknown built-in workload '" + name + "'; known: " + names());
  }

  /**
   * ResNet-18 for 224x224 ImageNet (He et al. 2016, torchvision layout: 7x7/2 stem, 3x3 basic blocks, 1x1/2
   * projection shortcuts, 512-1000 classifier): 21 weight layers. Uniform bits; the stem reads the 8-bit image.
   */
  public static Workload resnet18ImageNet(int batch, int weightBits, int activationBits) {
    List<WorkloadLayer> l = new ArrayList<>();
    int a = activationBits;
    int w = weightBits;
    l.add(WorkloadLayer.conv("conv1", batch, 3, 64, 224, 112, 7, 2, w, 8, a, true));
    int in = 64;
    int size = 56;
    int[] widths = {64, 128, 256, 512};
    for (int stage = 0; stage < 4; stage++) {
      int c = widths[stage];
      for (int block = 0; block < 2; block++) {
        int stride = stage > 0 && block == 0 ? 2 : 1;
        int out = size / stride;
        String p = "layer" + (stage + 1) + "." + block + ".";
        l.add(WorkloadLayer.conv(p + "conv1", batch, in, c, size, out, 3, stride, w, a, a, false));
        l.add(WorkloadLayer.conv(p + "conv2", batch, c, c, out, out, 3, 1, w, a, a, false));
        if (stride != 1 || in != c) {
          l.add(WorkloadLayer.conv(p + "downsample.0", batch, in, c, size, out, 1, stride, w, a, a, false));
        }
        in = c;
        size = out;
      }
    }
    l.add(WorkloadLayer.fc("fc", batch, 512, 1000, w, a, Workload.LOGIT_BITS));
    return new Workload("resnet18-imagenet w" + w + "a" + a, l);
  }

  /**
   * BitFusion's benchmarks in the order of its {@code benchlist}, with the WRPN AlexNet and ResNet-18 the sweep used
   * (sweep.py: {@code get_bench_nn(b, WRPN=True)}). Output bits are 32 everywhere (BitFusion's oprec).
   */
  public static Map<String, Workload> bitfusionBenchmarks() {
    Map<String, Workload> m = new LinkedHashMap<>();
    int bt = BITFUSION_BATCH;
    List<WorkloadLayer> l = new ArrayList<>();
    for (String s : new String[] {"a", "b"}) {
      l.add(conv("conv1_" + s, 3, 96, 55, 11, 4, 8, 8, true));
    }
    for (String s : new String[] {"a", "b"}) {
      l.add(conv("conv2_" + s, 96, 256, 27, 5, 1, 4, 4, false));
    }
    for (String s : new String[] {"a", "b"}) {
      l.add(conv("conv3_" + s, 512, 384, 13, 3, 1, 4, 4, false));
    }
    for (String s : new String[] {"a", "b"}) {
      l.add(conv("conv4_" + s, 384, 384, 13, 3, 1, 4, 4, false));
    }
    for (String s : new String[] {"a", "b"}) {
      l.add(conv("conv5_" + s, 384, 256, 13, 3, 1, 4, 4, false));
    }
    l.add(WorkloadLayer.fc("fc1", bt, 18432, 8192, 4, 4, 32));
    l.add(WorkloadLayer.fc("fc2", bt, 8192, 8192, 4, 4, 32));
    l.add(WorkloadLayer.fc("fc3", bt, 8192, 1000, 8, 8, 32));
    m.put("AlexNet", new Workload("AlexNet-WRPN", l));

    l = new ArrayList<>();
    l.add(conv("conv0", 3, 64, 32, 3, 1, 1, 8, true));
    l.add(conv("conv1", 64, 64, 32, 3, 1, 1, 1, false));
    l.add(conv("conv2", 64, 128, 16, 3, 1, 1, 1, false));
    l.add(conv("conv3", 128, 128, 16, 3, 1, 1, 1, false));
    l.add(conv("conv4", 128, 256, 8, 3, 1, 1, 1, false));
    l.add(conv("conv5", 256, 256, 8, 3, 1, 1, 1, false));
    l.add(WorkloadLayer.fc("fc6", bt, 4096, 1024, 1, 1, 32));
    l.add(WorkloadLayer.fc("fc7", bt, 1024, 1024, 1, 1, 32));
    l.add(WorkloadLayer.fc("fc8", bt, 1024, 10, 1, 1, 32));
    m.put("SVHN", new Workload("SVHN-QNN", l));

    l = new ArrayList<>();
    l.add(conv("conv0", 3, 128, 32, 3, 1, 8, 8, true));
    l.add(conv("conv1", 128, 128, 32, 3, 1, 2, 2, false));
    l.add(conv("conv2", 128, 256, 16, 3, 1, 2, 2, false));
    l.add(conv("conv3", 256, 256, 16, 3, 1, 2, 2, false));
    l.add(conv("conv4", 256, 512, 8, 3, 1, 2, 2, false));
    l.add(conv("conv5", 512, 512, 8, 3, 1, 2, 2, false));
    l.add(WorkloadLayer.fc("fc6", bt, 8192, 1024, 2, 2, 32));
    l.add(WorkloadLayer.fc("fc7", bt, 1024, 1024, 2, 2, 32));
    l.add(WorkloadLayer.fc("fc8", bt, 1024, 10, 2, 2, 32));
    m.put("CIFAR10", new Workload("CIFAR-10-QNN", l));

    l = new ArrayList<>();
    l.add(conv("conv0", 1, 32, 32, 5, 1, 2, 2, true));
    l.add(conv("conv1", 32, 64, 16, 5, 1, 2, 2, false));
    l.add(WorkloadLayer.fc("fc1", bt, 4096, 512, 2, 2, 32));
    l.add(WorkloadLayer.fc("fc2", bt, 512, 10, 2, 2, 32));
    m.put("LeNet-5", new Workload("LeNet-5", l));

    l = new ArrayList<>();
    l.add(conv("conv1_a", 3, 128, 32, 3, 1, 2, 2, true));
    l.add(conv("conv1_b", 3, 128, 32, 3, 1, 2, 2, true));
    l.add(conv("conv2_a", 128, 256, 16, 3, 1, 2, 2, false));
    l.add(conv("conv2_b", 128, 256, 16, 3, 1, 2, 2, false));
    l.add(conv("conv3_a", 256, 512, 8, 3, 1, 2, 2, false));
    l.add(conv("conv3_b", 256, 512, 8, 3, 1, 2, 2, false));
    l.add(WorkloadLayer.fc("fc1", bt, 8192, 1024, 2, 2, 32));
    m.put("VGG-7", new Workload("VGG-7", l));

    m.put("ResNet-18", resnet18Wrpn(8, 8, 4, 4));
    m.put("RNN", new Workload("RNN", List.of(WorkloadLayer.fc("matmul", bt, 4096, 4096, 4, 4, 32))));
    m.put("LSTM", new Workload("LSTM", List.of(WorkloadLayer.fc("matmul", bt, 3600, 3600, 4, 4, 32))));
    return m;
  }

  /**
   * BitFusion's ResNet-18-WRPN (17 convolutions; benchmarks.py get_resnet_18_wrpn): stem K7/2 3-128 at
   * {@code stemW}/{@code stemA} bits, then four stages of (1x1, 3x3, 1x1, 3x3) at {@code w}/{@code a} bits.
   */
  public static Workload resnet18Wrpn(int stemW, int stemA, int w, int a) {
    List<WorkloadLayer> l = new ArrayList<>();
    l.add(WorkloadLayer.conv("conv1_a", BITFUSION_BATCH, 3, 128, 229, 112, 7, 2, stemW, stemA, 32, true));
    int[] channels = {128, 256, 512, 1024};
    int[] sizes = {56, 28, 14, 7};
    for (int st = 0; st < 4; st++) {
      int c = channels[st];
      int o = sizes[st];
      int stage = st + 2;
      int in = st == 0 ? c : c / 2;
      int stride = st == 0 ? 1 : 2;
      l.add(WorkloadLayer.conv("conv" + stage + "_1_a", BITFUSION_BATCH, in, c, o * stride, o, 1, stride, w, a, 32,
          false));
      l.add(WorkloadLayer.conv("conv" + stage + "_1_b", BITFUSION_BATCH, c, c, o, o, 3, 1, w, a, 32, false));
      l.add(WorkloadLayer.conv("conv" + stage + "_2_a", BITFUSION_BATCH, c, c, o, o, 1, 1, w, a, 32, false));
      l.add(WorkloadLayer.conv("conv" + stage + "_2_b", BITFUSION_BATCH, c, c, o, o, 3, 1, w, a, 32, false));
    }
    return new Workload("ResNet-18-WRPN", l);
  }

  private static WorkloadLayer conv(String name, int in, int out, int outSize, int k, int s, int w, int a,
                                    boolean first) {
    int inSize = (outSize - 1) * s + k;
    return WorkloadLayer.conv(name, BITFUSION_BATCH, in, out, inSize, outSize, k, s, w, a, 32, first);
  }
}
