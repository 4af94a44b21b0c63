package org.bsq.core.bsq;

import static org.bsq.core.bsq.Golden.scalar;
import static org.bsq.core.bsq.Golden.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.quant.QuantizationScheme;
import org.junit.jupiter.api.Test;

/**
 * The whole pretrained ResNet-20 in 8-bit bit representation: golden 07 (layers, TP/TB/compression, per-layer state
 * after {@code to_bin()}, the no-op epoch-0 re-quantization and pruning) and the ResNet-20 case of golden 03
 * (regularizer). Skips when the pretrained weights are absent.
 */
class ResNet20GoldenTest {
  private static final JsonNode BOOK = Golden.file("07_resnet20_bookkeeping.json");
  private static final JsonNode REG = Golden.testCase(Golden.file("03_l1reg.json"), "resnet20_8bit_converted");

  @Test
  void inventoryAndPaperMetricsAt8Bits() {
    Model model = ResNet20Fixture.pretrained();
    LayerInventory inv = LayerInventory.of(model.graph());
    JsonNode layers = BOOK.get("quantised_layers_in_model_order");
    List<LayerInfo> counted = inv.layers().stream().filter(l -> !l.projectionShortcut()).toList();
    assertEquals(layers.size(), counted.size());
    for (int i = 0; i < counted.size(); i++) {
      JsonNode l = layers.get(i);
      assertEquals(l.get("name").asText(), counted.get(i).name());
      assertEquals(l.get("weight_params").asLong(), counted.get(i).weightCount());
      assertEquals(l.get("bias_params").asLong(), counted.get(i).biasCount());
    }
    for (JsonNode u : BOOK.get("unquantised_convs")) {
      assertTrue(inv.get(u.get("name").asText()).projectionShortcut(), u.get("name").asText());
    }
    QuantizationScheme scheme = QuantizationScheme.uniform(inv, 8, 4);
    assertEquals(268_346L, QuantizationScheme.countedParams(inv));
    assertEquals((long) BOOK.get("float_model_TP").asDouble(), QuantizationScheme.countedParams(inv));
    assertEquals((long) BOOK.get("float_model_TB").asDouble(), scheme.countedBits(inv));
    assertEquals(2_146_768L, scheme.countedBits(inv));
    assertEquals(4.0, scheme.compression(inv), 0.0);
    assertEquals(8.0, scheme.averageBits(inv), 0.0);
    // whole model: 268,346 counted at 8 bits + shortcuts (512 + 2048) and BN (2 * channels of 21 convs) at 32 bits
    long bn = QuantizationScheme.defaultBatchNormParams(inv);
    assertEquals(2L * (16 + 6 * 16 + 6 * 32 + 6 * 64 + 32 + 64), bn);
    assertEquals(268_346L * 8 + (512 + 2048 + bn) * 32, scheme.wholeModelBits(inv));
  }

  @Test
  void conversionMatchesToBinLayerByLayer() {
    Model model = ResNet20Fixture.pretrained();
    BitRepresentation rep = BitRepresentation.install(model, 8);
    assertEquals(268_346L, rep.totalParams());
    assertEquals(2_146_768L, rep.totalBits());
    assertEquals(4.0, rep.compression(), 0.0);
    JsonNode layers = BOOK.get("after_to_bin").get("layers");
    assertEquals(layers.size(), rep.layers().size());
    for (int i = 0; i < layers.size(); i++) {
      JsonNode l = layers.get(i);
      BitPlaneWeightSource s = rep.layers().get(i);
      String name = l.get("name").asText();
      assertEquals(name, s.layer());
      assertEquals(l.get("Nbits").asInt(), s.bits(), name);
      BitPlanes w = s.weightPlanes();
      assertEquals(Float.floatToRawIntBits(scalar(l.get("scale"))), Float.floatToRawIntBits(w.scale()), name + " scale");
      long[] ones = new long[8];
      long[] negOnes = new long[8];
      for (int k = 0; k < w.count(); k++) {
        for (int b = 0; b < 8; b++) {
          ones[b] += (long) w.p()[k * 8 + b];
          negOnes[b] += (long) w.n()[k * 8 + b];
        }
      }
      for (int b = 0; b < 8; b++) {
        assertEquals(l.get("pweight_ones_per_plane").get(b).asLong(), ones[b], name + " p ones " + b);
        assertEquals(l.get("nweight_ones_per_plane").get(b).asLong(), negOnes[b], name + " n ones " + b);
        assertEquals(l.get("nonzero_percent_per_plane_of_p_minus_n").get(b).asDouble(), w.nonZeroPercent()[b], 1e-12,
            name + " nonzero% " + b);
      }
      long sum = 0;
      long abs = 0;
      long sq = 0;
      for (long v : w.signedLevels()) {
        sum += v;
        abs += Math.abs(v);
        sq += v * v;
      }
      assertEquals(l.get("int_levels_sum").asLong(), sum, name + " level sum");
      assertEquals(l.get("int_levels_sum_abs").asLong(), abs, name + " level sum abs");
      assertEquals(l.get("int_levels_sum_sq").asLong(), sq, name + " level sum sq");
      assertEquals(ParameterRole.STRATEGY_BUFFER, model.parameters().get(name + ".weight").role(), name + " frozen");
    }
    // the fc bias is in bit representation too; statistics print like the reference
    assertEquals(8, rep.layer("fc").biasBits());
    assertTrue(rep.statistics().get(0).format().contains("Weight:   3.01%,  19.68%"), rep.statistics().get(0).format());
  }

  @Test
  void epochZeroRequantizationAndPruningAreNoOps() {
    Model model = ResNet20Fixture.pretrained();
    BitRepresentation rep = BitRepresentation.install(model, 8);
    float[] before = rep.layer("layer3.2.conv2").weightPlanes().p().clone();
    assertTrue(rep.adjustPrecision(0.0, true).isEmpty());
    assertTrue(rep.requantize(8).isEmpty());
    assertTrue(rep.adjustPrecision(0.0, true).isEmpty());
    assertArrayEquals(before, rep.layer("layer3.2.conv2").weightPlanes().p());
    JsonNode dict = BOOK.get("epoch0_quant_maxbit8_then_pruning").get("Nbit_dict");
    Map<String, int[]> bits = rep.bitsByLayer();
    assertEquals(dict.size(), bits.size());
    bits.forEach((name, nb) -> {
      assertEquals(dict.get(name).get(0).asInt(), nb[0], name);
      assertEquals(dict.get(name).get(1).asInt(), nb[1], name);
    });
    assertEquals(4.0, rep.compression(), 0.0);
  }

  @Test
  void regularizerOfTheWholeModel() {
    Model model = ResNet20Fixture.pretrained();
    BitRepresentation rep = BitRepresentation.install(model, 8);
    JsonNode layers = REG.get("layers");
    float running = 0f;
    for (int i = 0; i < layers.size(); i++) {
      JsonNode l = layers.get(i);
      BitPlaneWeightSource s = rep.layers().get(i);
      assertEquals(l.get("name").asText(), s.layer());
      assertEquals(l.get("weight_multiplier").asLong(), (long) s.weightCount() * s.bits());
      BitPlanes w = s.weightPlanes();
      float[] norms = new float[8];
      float layerReg = BitMath.groupLasso(w.p(), w.n(), w.count(), 8, (double) w.count() * 8, 0, null, null, norms);
      Golden.assertRelative(tensor(l.get("weight_plane_norms")), norms, 1e-6, s.layer() + " norms");
      if (s.hasBias()) {
        assertEquals(l.get("bias_multiplier").asLong(), (long) s.biasCount() * s.biasBits());
        BitPlanes b = s.biasPlanes();
        float[] bNorms = new float[8];
        layerReg += BitMath.groupLasso(b.p(), b.n(), b.count(), 8, (double) b.count() * 8, 0, null, null, bNorms);
        Golden.assertRelative(tensor(l.get("bias_plane_norms")), bNorms, 1e-6, s.layer() + " bias norms");
      }
      float expected = scalar(l.get("layer_reg"));
      assertEquals(expected, layerReg, 1e-6 * expected, s.layer() + " layer reg");
      running += layerReg;
      float expectedRunning = scalar(l.get("running_reg_after_layer"));
      assertEquals(expectedRunning, running, 1e-6 * expectedRunning, s.layer() + " running reg");
    }
    BitLassoRegularizer reg = new BitLassoRegularizer(rep, REG.get("decay_alpha").asDouble());
    float total = reg.regularizer();
    assertEquals(1_576_232_704f, scalar(REG.get("reg_total")));
    assertEquals(1_576_232_704.0, total, 1e-6 * 1_576_232_704.0);
    assertEquals(268_346L, (long) REG.get("model_TP_total_param").asDouble());
    float term = scalar(REG.get("reg_term_in_loss_decay_x_reg_div_TP"));
    double value = ((float) 0.01 * total) / (float) rep.totalParams();
    assertEquals(term, value, 1e-6 * term);
    assertFalse(Double.isNaN(value));
    System.out.printf("ResNet-20 regularizer: R = %.1f (golden %.1f, %s exact), alpha*R/TP = %.7f (golden %.7f)%n",
        total, 1_576_232_704.0, total == 1_576_232_704f ? "" : "not", value, term);
    memoryWeightingIsThisRegularizerExactly(model, rep, reg, total, term);
  }

  /**
   * Decision 0015: the memory weighting, named explicitly or as a hardware weighting whose cost of one bit of a layer
   * is its number of weights {@code P_l} (normalized: factor exactly 1), gives the golden's regularizer bit for bit:
   * the same {@code R}, loss term and plane gradients as the paper's regularizer checked above.
   */
  private static void memoryWeightingIsThisRegularizerExactly(Model model, BitRepresentation rep,
                                                              BitLassoRegularizer paper, float total, float term) {
    MarginalBitCost weightsPerBit = new MarginalBitCost() {
      @Override public double marginal(String layer, int bits) { return rep.layer(layer).weightCount(); }

      @Override public String describe() { return "memory as a cost"; }
    };
    org.bsq.core.train.StepContext step = new org.bsq.core.train.StepContext(model, 0, 0, 1, 0, 1, 0.1);
    model.parameters().zeroGradients();
    double paperTerm = paper.addValueAndGradients(step);
    Map<String, float[]> paperGrads = new java.util.HashMap<>();
    for (BitPlaneWeightSource s : rep.layers()) {
      paperGrads.put(s.layer(), model.parameters().get(BitPlaneWeightSource.pweightName(s.layer())).grad().clone());
    }
    assertEquals(term, paperTerm, 1e-6 * term);
    for (RegularizerWeighting w : List.of(RegularizerWeighting.memory(),
        RegularizerWeighting.hardware("memory-as-cost", weightsPerBit))) {
      BitLassoRegularizer r = new BitLassoRegularizer(rep, paper.alpha(), w);
      assertEquals(total, r.regularizer(), 0f, w.describe());
      model.parameters().zeroGradients();
      assertEquals(paperTerm, r.addValueAndGradients(step), 0.0, w.describe());
      for (BitPlaneWeightSource s : rep.layers()) {
        assertArrayEquals(paperGrads.get(s.layer()),
            model.parameters().get(BitPlaneWeightSource.pweightName(s.layer())).grad(), s.layer() + " " + w.describe());
      }
    }
  }
}
