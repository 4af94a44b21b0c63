package org.bsq.core.bsq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bsq.core.config.ConfigException;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.json.Json;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.search.CostMetric;
import org.bsq.core.search.CostTarget;
import org.bsq.core.search.LayerCostTable;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.SchemeCostModel;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyOutcome;
import org.bsq.core.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hardware-aware BSQ through the strategy: parameters, checks, and what the weighting does to a training run. */
class BsqHardwareWeightingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double ALPHA = 1.0;

  /** An accelerator whose latency is {@code perBit[layer] * weight bits} (whatever the activation bits). */
  private record FakeArray(String name, double[] perBit) implements SchemeCostModel {
    @Override
    public Map<String, Double> price(QuantizationScheme scheme, LayerInventory inventory) {
      return Map.of();
    }

    @Override
    public Optional<LayerCostTable> table(LayerInventory inventory, CostMetric metric) {
      if (metric != CostMetric.LATENCY) {
        return Optional.empty();
      }
      List<String> names = inventory.layers().stream().map(l -> l.name()).toList();
      return Optional.of(new LayerCostTable() {
        @Override public CostMetric metric() { return CostMetric.LATENCY; }

        @Override public List<String> layers() { return names; }

        @Override public double cost(int layer, int w, int a) { return perBit[layer] * w; }
      });
    }
  }

  private static Model model() {
    return StripesFixture.model(1, ActivationSpec.relu());
  }

  private static ObjectNode params(String weighting, String accelerator) {
    return params(weighting, accelerator, 2.0);
  }

  private static ObjectNode params(String weighting, String accelerator, double alpha) {
    ObjectNode p = JSON.createObjectNode().put("alpha", alpha).put("learningRate", 0.1).put("recipeEpochs", 6)
        .put("requantizeInterval", 2).put("activationBits", 0);
    p.putArray("lrMilestones");
    if (weighting != null) {
      p.put("regularizerWeighting", weighting);
    }
    if (accelerator != null) {
      p.put("weightingAccelerator", accelerator);
    }
    return p;
  }

  private static StrategyContext context(Model model, JsonNode params, Path dir, SchemeCostModel array,
                                         List<String> notes) {
    LayerInventory inv = LayerInventory.of(model.graph());
    SchemeCostModel size = new SizeOnlyCostModel();
    return new StrategyContext(inv, model, new ReferenceBackend(1), StripesFixture.data(32, 8, 3, true),
        StripesFixture.data(32, 8, 3, false), size,
        new Budget(6, 0, 0), 9, params, dir, List.of(new TrainingListener() {
          @Override public void onNote(String note) { notes.add(note); }
        }), CostTarget.size(List.of(size, array), inv), null);
  }

  @Test
  void parametersNameTheWeightingAndItsAcceleratorAndMemoryIsTheDefaultsIdentity() {
    BsqStrategy.Parameters memory = BsqStrategy.Parameters.from(params("memory", null));
    assertEquals(BsqStrategy.Parameters.from(params(null, null)), memory);
    assertNull(memory.regularizerWeighting());
    assertEquals("memory", memory.weightingMode());
    JsonNode tree = Json.files().valueToTree(memory);
    assertTrue(!tree.has("regularizerWeighting") && !tree.has("weightingAccelerator"),
        "memory leaves the resolved config (and its hash) as before: " + tree);
    BsqStrategy.Parameters latency = BsqStrategy.Parameters.from(params("latency", "unpu"));
    assertEquals("latency", latency.weightingMode());
    JsonNode t = Json.files().valueToTree(latency);
    assertEquals("latency", t.get("regularizerWeighting").asText());
    assertEquals("unpu", t.get("weightingAccelerator").asText());

    String bad = assertThrows(ConfigException.class, () -> BsqStrategy.Parameters.from(params("speed", null)))
        .getMessage();
    assertTrue(bad.contains("regularizerWeighting: must be one of [memory, latency, energy], was 'speed'"), bad);
    String missing = assertThrows(ConfigException.class, () -> BsqStrategy.Parameters.from(params("energy", null)))
        .getMessage();
    assertTrue(missing.contains("weightingAccelerator: must name an accelerator preset"), missing);
    String stray = assertThrows(ConfigException.class, () -> BsqStrategy.Parameters.from(params(null, "unpu")))
        .getMessage();
    assertTrue(stray.contains("weightingAccelerator: only applies to regularizerWeighting latency or energy"), stray);
  }

  @Test
  void checkNamesAnUnknownAcceleratorAMetricItCannotPriceAndACostThatIgnoresTheBits(@TempDir Path dir) {
    Model m = model();
    FakeArray array = new FakeArray("fake-array", new double[] {1, 1, 1});
    BsqStrategy s = new BsqStrategy();
    String unknown = assertThrows(IllegalArgumentException.class,
        () -> s.check(context(m, params("latency", "bitfusion-e"), dir, array, new ArrayList<>()))).getMessage();
    assertTrue(unknown.contains("weightingAccelerator: cost model must be one of the run's [size, fake-array]"),
        unknown);
    String energy = assertThrows(IllegalArgumentException.class,
        () -> s.check(context(m, params("energy", "fake-array"), dir, array, new ArrayList<>()))).getMessage();
    assertTrue(energy.contains("cost model 'fake-array' must price energy per layer"), energy);
    FakeArray flat = new FakeArray("fake-array", new double[] {0, 0, 0});
    String free = assertThrows(IllegalArgumentException.class,
        () -> s.check(context(m, params("latency", "fake-array"), dir, flat, new ArrayList<>()))).getMessage();
    assertTrue(free.contains("is 0 for every layer at bits [8, 8, 8]"), free);
    s.check(context(m, params("latency", "fake-array"), dir, array, new ArrayList<>()));
  }

  @Test
  void pressureFollowsTheCostOfABitAndTheRunRecordsIt(@TempDir Path dir) {
    // conv1 has 72 weights, conv2 576, fc 16; one bit costs 2x, 0.5x and 1x their weights: at equal bits the
    // weights relative to memory's are 2.96x, 0.74x and 1.48x (normalization factor 664 / 448)
    FakeArray array = new FakeArray("fake-array", new double[] {144, 288, 16});
    List<String> memoryNotes = new ArrayList<>();
    StrategyOutcome memory = new BsqStrategy().run(context(model(), params(null, null, ALPHA), dir.resolve("m"), array,
        memoryNotes));
    List<String> notes = new ArrayList<>();
    StrategyOutcome latency = new BsqStrategy().run(context(model(), params("latency", "fake-array", ALPHA),
        dir.resolve("l"), array, notes));
    int conv1Memory = memory.scheme().get("conv1").weightBits();
    int conv1Latency = latency.scheme().get("conv1").weightBits();
    int conv2Memory = memory.scheme().get("conv2").weightBits();
    int conv2Latency = latency.scheme().get("conv2").weightBits();
    assertTrue(conv1Latency < conv1Memory && conv2Latency > conv2Memory,
        "conv1 " + conv1Memory + " -> " + conv1Latency + ", conv2 " + conv2Memory + " -> " + conv2Latency);

    @SuppressWarnings("unchecked")
    Map<String, Object> w = (Map<String, Object>) latency.details().get("regularizerWeighting");
    assertEquals("latency", w.get("mode"));
    assertEquals("fake-array", w.get("accelerator"));
    assertEquals("latency on fake-array (ms)", w.get("prices"));
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> layers = (Map<String, Map<String, Object>>) w.get("finalLayers");
    assertEquals(144.0, (double) layers.get("conv1").get("marginalCostOfOneBit"), 1e-12);
    assertEquals(conv1Latency, layers.get("conv1").get("bits"));
    @SuppressWarnings("unchecked")
    Map<String, Object> mw = (Map<String, Object>) memory.details().get("regularizerWeighting");
    assertEquals("memory", mw.get("mode"));
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> ml = (Map<String, Map<String, Object>>) mw.get("finalLayers");
    assertEquals(1.0, (double) ml.get("conv2").get("relativeToMemory"), 0.0);
    // after every re-quantization the log shows the weights relative to memory's (none in memory mode)
    assertTrue(notes.get(0).contains("regularizer weight / memory weight (latency on fake-array (ms)): conv1 "),
        notes.get(0));
    assertTrue(memoryNotes.stream().noneMatch(n -> n.contains("regularizer weight")), memoryNotes.toString());
  }
}
