package org.bsq.core.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.junit.jupiter.api.Test;

class QuantizationSchemeTest {
  /** conv1 (1->4, 3x3: 36) -> block conv (4->8, 3x3: 288) + BN + act, with a 1x1 projection shortcut (32) -> fc (8->2 + 2). */
  private static LayerInventory inventory() {
    GraphBuilder b = new GraphBuilder("tiny", 1, 6, 6);
    int x = b.activation("relu", b.batchNorm("bn1", b.conv("conv1", b.input(), 4, 3, 1, 1)), ActivationSpec.relu());
    int out = b.activation("layer1.0.act1", b.batchNorm("layer1.0.bn1", b.conv("layer1.0.conv1", x, 8, 3, 1, 1)),
        ActivationSpec.quantized(4));
    int sc = b.batchNorm("layer1.0.downsample.1", b.conv("layer1.0.downsample.0", x, 8, 1, 1, 0));
    x = b.activation("act", b.add(out, sc), ActivationSpec.relu());
    b.linear("fc", b.globalAvgPool(x), 2);
    return LayerInventory.of(b.build());
  }

  @Test
  void errorsNameTheLayerAndTheRule() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LayerPrecision.of("layer2.0.conv1", 17, 4));
    assertEquals("weight bits for layer 'layer2.0.conv1' must be in [0, 16] (or 32 for full precision), was 17",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LayerPrecision.of("fc", 4, -1));
    assertTrue(e.getMessage().startsWith("activation bits for layer 'fc' must be in [0, 16]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Precision(20));
    assertEquals("bits must be in [0, 16] or 32 (full precision), was 20", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> QuantizationScheme.of(LayerPrecision.of("a", 4, 4), LayerPrecision.of("a", 2, 4)));
    assertEquals("scheme layer names must be unique, was 'a' twice", e.getMessage());
    assertTrue(Precision.FULL.isFull() && Precision.PRUNED.isPruned());
  }

  @Test
  void paperMetricCountsEveryLayerButShortcutsWithTheFcBias() {
    LayerInventory inv = inventory();
    assertTrue(inv.get("layer1.0.downsample.0").projectionShortcut());
    QuantizationScheme s = QuantizationScheme.of(LayerPrecision.of("conv1", 8, 32), LayerPrecision.of("layer1.0.conv1", 2, 4),
        LayerPrecision.of("fc", 0, 4));
    assertEquals(36 + 288 + 18, QuantizationScheme.countedParams(inv));
    assertEquals(36 * 8 + 288 * 2, s.countedBits(inv));
    assertEquals(32.0 * 342 / 864, s.compression(inv), 1e-12);
    assertEquals(864.0 / 342, s.averageBits(inv), 1e-12);
    // whole model: the shortcut (not in the scheme) at 32 bits, BN = 2 * (4 + 8 + 8) at 32 bits
    assertEquals(40, QuantizationScheme.defaultBatchNormParams(inv));
    assertEquals(864 + 32L * 32 + 40L * 32, s.wholeModelBits(inv));
    assertEquals(864 + 32L * 32 + 7L * 32, s.wholeModelBits(inv, 7));
    assertEquals(32.0 * (inv.totalParams() + 40) / s.wholeModelBits(inv), s.wholeModelCompression(inv), 1e-12);
    QuantizationScheme uniform = QuantizationScheme.uniform(inv, 8, 4);
    assertEquals(4.0, uniform.compression(inv));
    assertEquals(32, uniform.get("layer1.0.downsample.0").weightBits());
  }

  @Test
  void schemesAreCheckedAgainstTheModel() {
    LayerInventory inv = inventory();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> QuantizationScheme.of(LayerPrecision.of("conv1", 8, 8), LayerPrecision.of("fc", 8, 8)).countedBits(inv));
    assertEquals("scheme must give a precision for counted layer 'layer1.0.conv1' of model 'tiny', was missing",
        e.getMessage());
    List<LayerPrecision> l = new ArrayList<>(QuantizationScheme.uniform(inv, 4, 4).layers());
    l.add(LayerPrecision.of("ghost", 4, 4));
    e = assertThrows(IllegalArgumentException.class, () -> new QuantizationScheme(l).compression(inv));
    assertTrue(e.getMessage().startsWith("scheme layer 'ghost' must be a layer of model 'tiny', was unknown"));
    assertEquals(QuantizationScheme.uniform(inv, 4, 4), QuantizationScheme.uniform(inv, 4, 4));
    LayerInfo fc = inv.get("fc");
    assertEquals(2, fc.biasCount());
  }
}
