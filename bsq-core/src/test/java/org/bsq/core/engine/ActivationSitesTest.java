package org.bsq.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bsq.core.finetune.SchemeInstaller;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.junit.jupiter.api.Test;

/** Which activation node a layer's activation bits decide, and how a scheme's activation bits set those nodes. */
class ActivationSitesTest {
  private static final ActivationSpec Q4 = ActivationSpec.quantized(4);

  @Test
  void resnetLikeNetHasSitesForEveryLayerReadingABlockActivation() {
    ActivationSites sites = ActivationSites.of(TinyNets.resnetLikeGraph(Q4));
    assertEquals(List.of("conv1", "layer1.0.conv1", "fc"), sites.layersWithoutSite());
    assertEquals(Optional.empty(), sites.siteOf("conv1"));          // reads the image
    assertEquals(Optional.empty(), sites.siteOf("layer1.0.conv1")); // reads the stem's plain ReLU
    assertEquals(Optional.empty(), sites.siteOf("fc"));             // reads the pooled features
    assertEquals(Optional.of("layer1.0.act1"), sites.siteOf("layer1.0.conv2"));
    assertEquals(Optional.of("layer1.0.act2"), sites.siteOf("layer2.0.conv1"));
    assertEquals(Optional.of("layer1.0.act2"), sites.siteOf("layer2.0.downsample.0"));
    assertEquals(Optional.of("layer2.0.act1"), sites.siteOf("layer2.0.conv2"));
    assertEquals(Optional.of("layer2.0.act2"), sites.siteOf("layer3.0.conv1"));
    assertEquals(Optional.of("layer2.0.act2"), sites.siteOf("layer3.0.downsample.0"));
    assertEquals(Optional.of("layer3.0.act1"), sites.siteOf("layer3.0.conv2"));
    // the last block's output feeds only the pooling: no site
    assertEquals(List.of("layer1.0.act1", "layer1.0.act2", "layer2.0.act1", "layer2.0.act2", "layer3.0.act1"),
        sites.sites());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sites.siteOf("layer9.conv"));
    assertTrue(e.getMessage().contains("layer9.conv") && e.getMessage().contains("layer2.0.conv1"), e.getMessage());
  }

  @Test
  void plainReluBlocksHaveNoSites() {
    Graph g = TinyNets.resnetLikeGraph(ActivationSpec.relu());
    ActivationSites sites = ActivationSites.of(g);
    List<String> all = new ArrayList<>();
    LayerInventory.of(g).forEach(l -> all.add(l.name()));
    assertEquals(all, sites.layersWithoutSite());
    assertTrue(sites.sites().isEmpty());
  }

  @Test
  void tinyResidualNetSites() {
    ActivationSites sites = ActivationSites.of(TinyNets.residual(1).graph());
    assertEquals(List.of("conv1", "b1.conv1", "b1.down", "fc"), sites.layersWithoutSite());
    assertEquals(Optional.of("b1.act1"), sites.siteOf("b1.conv2")); // PACT in the graph
    assertEquals(Optional.of("b1.act2"), sites.siteOf("b2.conv1")); // ReLU6 + quantizer
    assertEquals(Optional.of("b2.act1"), sites.siteOf("b2.conv2")); // plain ReLU6
    assertEquals(List.of("b1.act1", "b1.act2", "b2.act1"), sites.sites());
  }

  @Test
  void schemeOfTheModelsActBitsOrOfZeroBitsKeepsTheGraph() {
    Model model = TinyNets.randomModel(TinyNets.resnetLikeGraph(Q4), 3);
    LayerInventory inv = LayerInventory.of(model.graph());
    ActivationSites sites = ActivationSites.of(model.graph());
    int paramsBefore = model.parameters().all().size();
    sites.apply(model, QuantizationScheme.uniform(inv, 8, 4), inv);
    assertEquals(Map.of(), model.activationSpecOverrides());
    sites.apply(model, QuantizationScheme.uniform(inv, 8, 0), inv);
    assertEquals(Map.of(), model.activationSpecOverrides());
    assertEquals(paramsBefore, model.parameters().all().size());
  }

  @Test
  void perLayerBitsSetTheirSitesAndShortcutsFollow() {
    Model model = TinyNets.randomModel(TinyNets.resnetLikeGraph(Q4), 4);
    LayerInventory inv = LayerInventory.of(model.graph());
    ActivationSites sites = ActivationSites.of(model.graph());
    QuantizationScheme scheme = scheme(inv, Map.of("layer2.0.conv1", 2, "layer2.0.conv2", 32, "layer3.0.conv2", 6,
        "layer3.0.downsample.0", 3, "conv1", 8, "fc", 2), 4);
    sites.apply(model, scheme, inv);
    assertEquals(Map.of("layer1.0.act2", new ActivationSpec(ActivationSpec.Kind.PACT_QUANT, 2),
        "layer2.0.act1", ActivationSpec.relu6(),
        "layer3.0.act1", new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 6)), model.activationSpecOverrides());
    assertEquals(ActivationSpec.PACT_ALPHA_INIT, model.parameters().get("layer1.0.act2.alpha").value()[0]);
    // layer3.0.downsample.0 asked for 3 bits but follows layer3.0.conv1 (4 bits): its site keeps the graph's spec
    assertEquals(Q4, model.activationSpec("layer2.0.act2"));

    // a later scheme assigns every site again: 0 bits puts the graph's spec back
    sites.apply(model, scheme(inv, Map.of("layer1.0.conv2", 1), 0), inv);
    assertEquals(Map.of("layer1.0.act1", new ActivationSpec(ActivationSpec.Kind.PACT_QUANT, 1)),
        model.activationSpecOverrides());
  }

  @Test
  void schemeAtZeroBitsKeepsAReLu6Graph() {
    Model model = TinyNets.randomModel(TinyNets.resnetLikeGraph(ActivationSpec.relu6()), 5);
    LayerInventory inv = LayerInventory.of(model.graph());
    ActivationSites sites = ActivationSites.of(model.graph());
    sites.apply(model, QuantizationScheme.uniform(inv, 8, 0), inv);
    assertEquals(Map.of(), model.activationSpecOverrides());
    sites.apply(model, QuantizationScheme.uniform(inv, 8, 32), inv);
    assertEquals(Map.of(), model.activationSpecOverrides()); // 32 = unquantized ReLU6 = the graph's spec
    sites.apply(model, QuantizationScheme.uniform(inv, 8, 5), inv);
    assertEquals(5, model.activationSpecOverrides().size());
    model.activationSpecOverrides().values()
        .forEach(s -> assertEquals(new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 5), s));
  }

  /** A ReLU6 node "a" feeding two counted convs (their branches meet after a ReLU6 each, so neither is a shortcut). */
  static Graph sharedSiteGraph() {
    GraphBuilder b = new GraphBuilder("shared", 3, 6, 6);
    int a = b.activation("a", b.batchNorm("bn0", b.conv("c0", b.input(), 4, 3, 1, 1)), ActivationSpec.relu6());
    int l = b.activation("la", b.batchNorm("lbn", b.conv("left", a, 4, 3, 1, 1)), ActivationSpec.relu6());
    int r = b.activation("ra", b.batchNorm("rbn", b.conv("right", a, 4, 3, 1, 1)), ActivationSpec.relu6());
    b.linear("fc", b.globalAvgPool(b.add(l, r)), 3);
    return b.build();
  }

  @Test
  void sharedSiteWithDifferentBitsIsAnErrorNamingBothLayersAndBits() {
    Model model = TinyNets.randomModel(sharedSiteGraph(), 6);
    LayerInventory inv = LayerInventory.of(model.graph());
    for (LayerInfo l : inv) {
      assertFalse(l.projectionShortcut(), l.name());
    }
    ActivationSites sites = ActivationSites.of(model.graph());
    assertEquals(Optional.of("a"), sites.siteOf("left"));
    assertEquals(Optional.of("a"), sites.siteOf("right"));

    sites.apply(model, scheme(inv, Map.of("left", 4, "right", 4), 0), inv);
    assertEquals(Map.of("a", new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 4)), model.activationSpecOverrides());

    QuantizationScheme conflicting = scheme(inv, Map.of("left", 4, "right", 2), 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> sites.apply(model, conflicting, inv));
    String m = e.getMessage();
    assertTrue(m.contains("'left'") && m.contains("'right'") && m.contains("'a'") && m.contains("4 and 2"), m);
    // nothing changed
    assertEquals(Map.of("a", new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 4)), model.activationSpecOverrides());

    // SchemeInstaller fails before it installs any weight source
    Model fresh = TinyNets.randomModel(sharedSiteGraph(), 6);
    assertThrows(IllegalArgumentException.class, () -> SchemeInstaller.install(fresh, conflicting));
    assertEquals(Map.of(), fresh.weightSourceBindings());
    assertEquals(Map.of(), fresh.activationSpecOverrides());
  }

  /** Every layer at 8 weight bits; counted layers at {@code bits} (or {@code defaultBits}); shortcuts as given or full. */
  static QuantizationScheme scheme(LayerInventory inv, Map<String, Integer> bits, int defaultBits) {
    List<LayerPrecision> out = new ArrayList<>();
    for (LayerInfo l : inv) {
      if (l.projectionShortcut() && !bits.containsKey(l.name())) {
        out.add(LayerPrecision.full(l.name()));
      } else {
        out.add(LayerPrecision.of(l.name(), 8, bits.getOrDefault(l.name(), defaultBits)));
      }
    }
    return new QuantizationScheme(out);
  }
}
