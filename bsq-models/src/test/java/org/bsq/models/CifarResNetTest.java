package org.bsq.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.graph.Shape;
import org.bsq.core.param.ParameterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CifarResNetTest {

  @Test
  void resnet20HasTheReferenceParameterCount() {
    ParameterStore store = Model.allocate(Models.create("resnet20", ModelOptions.cifar10()));
    // 272,474 trainable scalars: 270,896 conv weights (incl. the two 1x1 projections), 650 fc, 928 BN scale/shift.
    assertEquals(272_474, store.trainableCount());
    assertEquals(107, store.size(), "107 float tensors, as in the reference checkpoint");
  }

  @ParameterizedTest
  @CsvSource({"20, 272474", "32, 466906", "44, 661338", "56, 855770"})
  void deeperResNetsAddTwoConvsPerBlock(int depth, long trainable) {
    // Each extra block per stage adds 2 convs + 2 BNs per stage: 16: 2*(2304+32), 32: 2*(9216+64), 64: 2*(36864+128).
    assertEquals(trainable, Model.allocate(CifarResNet.build(depth, ModelOptions.cifar10())).trainableCount());
  }

  @Test
  void inventoryListsEveryWeightLayerInModelOrderWithMacs() {
    LayerInventory inv = Models.inventory("resnet20", ModelOptions.cifar10());
    assertEquals(22, inv.size(), "conv1, 18 block convs, 2 projection shortcuts, fc");
    assertEquals("conv1", inv.get(0).name());
    assertEquals("layer1.0.conv1", inv.get(1).name());
    assertEquals("layer2.0.downsample.0", inv.get(9).name());
    assertEquals("fc", inv.get(21).name());
    List<String> shortcuts = inv.layers().stream().filter(LayerInfo::projectionShortcut).map(LayerInfo::name)
        .collect(Collectors.toList());
    assertEquals(List.of("layer2.0.downsample.0", "layer3.0.downsample.0"), shortcuts);

    assertEquals(32L * 32 * 16 * 3 * 9, inv.get("conv1").macsPerSample());
    assertEquals(16L * 16 * 32 * 16 * 9, inv.get("layer2.0.conv1").macsPerSample());
    assertEquals(16L * 16 * 32 * 16, inv.get("layer2.0.downsample.0").macsPerSample());
    assertEquals(640, inv.get("fc").macsPerSample());
    assertEquals(List.of(64, 32, 3, 3), inv.get("layer3.0.conv1").weightShape());
    assertEquals(new Shape(64, 8, 8), inv.get("layer3.0.conv1").output());
    assertEquals(2, inv.get("layer3.0.conv1").stride());
    // Sum over the layers computed by hand from the architecture: 40,813,184 MACs per image.
    assertEquals(40_813_184L, inv.totalMacsPerSample());
    // Quantized-and-counted layers of the BSQ paper: everything but the shortcuts, fc bias included.
    long counted = inv.layers().stream().filter(l -> !l.projectionShortcut()).mapToLong(LayerInfo::paramCount).sum();
    assertEquals(268_346, counted);
  }

  @Test
  void shapesFollowTheStages() {
    Graph g = Models.create("resnet20", ModelOptions.cifar10());
    assertEquals(new Shape(3, 32, 32), g.inputShape());
    assertEquals(10, g.numClasses());
    LayerInventory inv = LayerInventory.of(g);
    assertEquals(new Shape(16, 32, 32), inv.get("layer1.2.conv2").output());
    assertEquals(new Shape(32, 16, 16), inv.get("layer2.2.conv2").output());
    assertEquals(new Shape(64, 8, 8), inv.get("layer3.2.conv2").output());
  }

  @Test
  void badDepthAndUnknownNamesFailClearly() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CifarResNet.build(21, ModelOptions.cifar10()));
    assertTrue(e.getMessage().contains("was 21"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Models.create("resnet18", ModelOptions.cifar10()));
    assertTrue(e.getMessage().contains("known: [resnet20, resnet32, resnet44, resnet56, small-cnn]"), e.getMessage());
  }

  @Test
  void smallCnnFitsGreyImages() {
    ModelOptions o = new ModelOptions(new Shape(1, 28, 28), 10, ModelOptions.blockActivation("relu", 0));
    LayerInventory inv = Models.inventory("small-cnn", o);
    assertEquals(5, inv.size());
    assertEquals(new Shape(64, 7, 7), inv.get("conv4").output());
    assertFalse(inv.layers().stream().anyMatch(LayerInfo::projectionShortcut));
  }

  @Test
  void blockActivationOptionsFollowTheReference() {
    assertEquals("relu6", ModelOptions.blockActivation("relu6", 0).toString());
    assertEquals("relu6_quant(4b)", ModelOptions.blockActivation("relu6", 4).toString());
    assertEquals("pact_quant(3b)", ModelOptions.blockActivation("relu6", 3).toString());
    assertThrows(IllegalArgumentException.class, () -> ModelOptions.blockActivation("relu", 4));
    assertThrows(IllegalArgumentException.class, () -> ModelOptions.blockActivation("gelu", 0));
    Graph g = CifarResNet.build(20, ModelOptions.cifar10().withBlockActivation(ModelOptions.blockActivation("relu6", 2)));
    assertTrue(g.parameterShapes().containsKey("layer1.0.act1.alpha"), "PACT owns a learnable alpha per activation");
  }
}
