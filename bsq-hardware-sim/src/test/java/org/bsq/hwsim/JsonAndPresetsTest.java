package org.bsq.hwsim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.graph.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSON round trips, accelerator config files, preset lookup, building workloads from an inventory. */
class JsonAndPresetsTest {
  @TempDir
  Path tmp;

  @Test
  void workloadRoundTrip() throws Exception {
    Workload w = Workloads.resnet18ImageNet(4, 4, 3);
    List<WorkloadLayer> layers = new java.util.ArrayList<>(w.layers());
    layers.set(2, layers.get(2).withBitPlanes(new BitPlaneStats(List.of(0.5, 0.25, 0.125, 0.0))));
    layers.add(new WorkloadLayer("dw", LayerKind.DEPTHWISE, 4, 32, 32, 14, 14, 14, 14, 3, 1, 32, 4, 4, 4, false,
        null));
    Workload with = new Workload(w.name(), layers);
    String json = HwJson.toJson(with);
    assertTrue(json.contains("\"kind\":\"conv\""), json);
    assertTrue(json.contains("\"kind\":\"depthwise\""), json);
    assertEquals(with, HwJson.parseWorkload(json));
    Path f = tmp.resolve("w.json");
    HwJson.write(f, with);
    assertEquals(with, HwJson.readWorkload(f));
  }

  @Test
  void workloadValidationMessages() {
    String bad = HwJson.toJson(Workloads.resnet18ImageNet(1, 4, 4)).replaceFirst("\"weightBits\":4",
        "\"weightBits\":40");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HwJson.parseWorkload(bad));
    assertTrue(e.getMessage().contains("weightBits must be in [0, 32], was 40"), e.getMessage());
    String unknown = HwJson.toJson(Workloads.resnet18ImageNet(1, 4, 4)).replaceFirst("\"batch\"", "\"batchx\"");
    assertThrows(IllegalArgumentException.class, () -> HwJson.parseWorkload(unknown));
  }

  @Test
  void workloadFilesRejectZeroBitActivationsButKeepPrunedLayers() {
    String json = HwJson.toJson(Workloads.resnet18ImageNet(1, 4, 4));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HwJson.parseWorkload(json.replaceFirst("\"inputBits\":4", "\"inputBits\":0")));
    assertEquals("workload is invalid: layer 'layer1.0.conv1': inputBits must be in [1, 32] (0-bit activations "
        + "cannot be priced; weightBits 0 marks a pruned layer), was 0", e.getMessage());
    Workload pruned = HwJson.parseWorkload(json.replaceFirst("\"weightBits\":4", "\"weightBits\":0"));
    assertEquals(0, pruned.layer(0).weightBits(), "the stem conv1 is pruned");
    CostReport r = Simulator.of("int8").price(pruned);
    assertEquals(0, r.layers().get(0).totalCycles(), "a pruned layer costs nothing");
    assertTrue(r.totalCycles() > 0);
  }

  @Test
  void reportRoundTrip() {
    CostReport r = Simulator.of("stripes").price(Workloads.resnet18ImageNet(1, 4, 4));
    assertEquals(r, HwJson.parseReport(HwJson.toJson(r)));
    assertEquals(21, r.layers().size());
  }

  @Test
  void everyPresetRoundTripsAndCitesItsSources() {
    for (Accelerator a : Presets.all()) {
      assertEquals(a, HwJson.parseAccelerator(HwJson.toJson(a)), a.name());
      assertFalse(a.sources().isEmpty(), a.name());
      assertTrue(a.sources().containsKey("dramNjPerBit"), a.name());
    }
    assertEquals(List.of("bitfusion-e", "int8", "stripes", "unpu", "loom", "bismo", "pragmatic"), Presets.names());
  }

  @Test
  void unknownPresetListsTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Presets.get("tpu"));
    assertEquals("unknown accelerator 'tpu'; known: [bitfusion-e, int8, stripes, unpu, loom, bismo, pragmatic]",
        e.getMessage());
  }

  @Test
  void userDefinedAcceleratorFromABaseWithOverrides() throws Exception {
    Path f = tmp.resolve("acc.json");
    Files.writeString(f, "{\"base\": \"bitfusion-e\", \"name\": \"bf-big\", \"bitfusionCompat\": false,"
        + " \"wbufBytes\": 131072, \"energy\": {\"dramNjPerBit\": 0.03}}");
    Accelerator a = HwJson.readAccelerator(f);
    assertEquals("bf-big", a.name());
    assertEquals(131072, a.wbufBytes());
    assertEquals(0.03, a.energy().dramNjPerBit());
    assertEquals(Presets.get("bitfusion-e").energy().wbufReadNjPerBit(), a.energy().wbufReadNjPerBit());
    assertFalse(a.bitfusionCompat());
    assertTrue(new Simulator(a).price(Workloads.resnet18ImageNet(1, 8, 8)).energyNj() > 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HwJson.parseAccelerator("{\"base\": \"bitfusion-e\", \"rows\": 0}"));
    assertTrue(e.getMessage().contains("rows must be >= 1, was 0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> HwJson.parseAccelerator("{\"base\": \"nope\"}"));

    Path yaml = tmp.resolve("acc.yaml");
    Files.writeString(yaml, "base: bitfusion-e\nname: bf-yaml\nbitfusionCompat: false\nwbufBytes: 131072\n"
        + "energy:\n  dramNjPerBit: 0.03\n");
    Accelerator y = HwJson.readAccelerator(yaml);
    assertEquals("bf-yaml", y.name());
    assertEquals(a.wbufBytes(), y.wbufBytes());
    assertEquals(a.energy(), y.energy(), "YAML and JSON configs describe the same accelerator");
  }

  @Test
  void workloadFromInventoryAndPerLayerBits() {
    LayerInfo c1 = new LayerInfo(0, "conv1", LayerInfo.Kind.CONV, List.of(16, 3, 3, 3), 432, 0, 442368,
        new Shape(3, 32, 32), new Shape(16, 32, 32), 3, 1, false);
    LayerInfo c2 = new LayerInfo(1, "conv2", LayerInfo.Kind.CONV, List.of(32, 16, 3, 3), 4608, 0, 1179648,
        new Shape(16, 32, 32), new Shape(32, 16, 16), 3, 2, false);
    LayerInfo fc = new LayerInfo(2, "fc", LayerInfo.Kind.LINEAR, List.of(10, 32), 320, 10, 320,
        new Shape(32, 1, 1), new Shape(10, 1, 1), 1, 1, false);
    LayerInventory inv = new LayerInventory("tiny", List.of(c1, c2, fc));
    Map<String, Integer> w = new LinkedHashMap<>(Map.of("conv1", 8, "conv2", 3, "fc", 5));
    Map<String, Integer> a = new LinkedHashMap<>(Map.of("conv1", 8, "conv2", 4, "fc", 2));
    Workload wl = Workload.fromInventory(inv, 16, w, a);
    assertEquals(3, wl.size());
    assertTrue(wl.layer(0).firstLayer());
    assertEquals(4, wl.layer(0).outputBits());
    assertEquals(2, wl.layer(1).outputBits());
    assertEquals(Workload.LOGIT_BITS, wl.layer(2).outputBits());
    assertEquals(LayerKind.FC, wl.layer(2).kind());
    assertEquals(32, wl.layer(2).inChannels());
    assertEquals(16L * 1179648, wl.layer(1).macs());
    assertEquals(3, wl.layer(1).weightBits());
    w.remove("fc");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Workload.fromInventory(inv, 16, w, a));
    assertEquals("weightBits must name every layer of tiny, was missing [fc]", e.getMessage());
    Workload u = Workload.uniform(inv, 1, 4, 4, 8);
    assertEquals(8, u.layer(0).inputBits());
    assertEquals(4, u.layer(1).inputBits());
  }
}
