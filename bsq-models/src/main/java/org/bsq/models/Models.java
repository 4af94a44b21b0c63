package org.bsq.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.LayerInventory;

/** The model architectures known by name. */
public final class Models {
  /** A named architecture with a one-line description. */
  public record Entry(String name, String description, Function<ModelOptions, Graph> factory) {}

  private static final Map<String, Entry> ENTRIES = entries();

  private Models() {}

  private static Map<String, Entry> entries() {
    Map<String, Entry> m = new LinkedHashMap<>();
    for (int depth : new int[] {20, 32, 44, 56}) {
      m.put("resnet" + depth, new Entry("resnet" + depth,
          "CIFAR ResNet-" + depth + " (He et al. 2016; BSQ reference layout, 1x1 conv projection shortcuts)",
          o -> CifarResNet.build(depth, o)));
    }
    m.put("small-cnn", new Entry("small-cnn", "4-conv CNN for 28x28 grey images (embedded Fashion-MNIST demo)",
        SmallCnn::build));
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Names in presentation order. */
  public static List<String> names() { return List.copyOf(ENTRIES.keySet()); }

  public static List<Entry> all() { return List.copyOf(ENTRIES.values()); }

  /** The graph of model {@code name}; unknown names fail with the known ones. */
  public static Graph create(String name, ModelOptions options) {
    Entry e = ENTRIES.get(name);
    if (e == null) {
      throw new IllegalArgumentException("unknown model '" + name + "'; known: " + names());
    }
    return e.factory().apply(options);
  }

  public static LayerInventory inventory(String name, ModelOptions options) {
    return LayerInventory.of(create(name, options));
  }
}
