package org.bsq.core.bsq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.train.Initializers;
import org.bsq.core.train.LearningRateSchedule;
import org.bsq.core.train.SgdSettings;
import org.bsq.core.train.StepContext;
import org.bsq.core.train.Trainer;
import org.bsq.core.train.TrainingConfig;
import org.bsq.core.train.TrainingResult;
import org.junit.jupiter.api.Test;

/** BSQ's bit representation plugged into the engine and the trainer. */
class BitTrainingTest {
  private static final int SIZE = 6;

  /** conv1 -> bn -> relu -> block (conv -> bn -> act, 1x1 projection shortcut + bn, add, act) -> gap -> fc. */
  private static Graph graph() {
    GraphBuilder b = new GraphBuilder("tiny-res", 1, SIZE, SIZE);
    int x = b.conv("conv1", b.input(), 4, 3, 1, 1);
    x = b.activation("relu", b.batchNorm("bn1", x), ActivationSpec.relu());
    int out = b.conv("layer1.0.conv1", x, 6, 3, 1, 1);
    out = b.activation("layer1.0.act1", b.batchNorm("layer1.0.bn1", out), ActivationSpec.quantized(4));
    int sc = b.batchNorm("layer1.0.downsample.1", b.conv("layer1.0.downsample.0", x, 6, 1, 1, 0));
    x = b.activation("layer1.0.act2", b.add(out, sc), ActivationSpec.quantized(4));
    b.linear("fc", b.globalAvgPool(x), 2);
    return b.build();
  }

  private static Model model(long seed) {
    Model m = Model.withZeroParameters(graph());
    Initializers.initialize(m, seed);
    return m;
  }

  @Test
  void installConvertsCountedLayersAndFreezesTheirFloatWeights() {
    Model m = model(1);
    float[] conv1 = m.parameters().get("conv1.weight").value().clone();
    BitRepresentation rep = BitRepresentation.install(m, 8);
    assertEquals(List.of("conv1", "layer1.0.conv1", "fc"), rep.layers().stream().map(BitPlaneWeightSource::layer).toList());
    assertEquals(ParameterRole.STRATEGY_BUFFER, m.parameters().get("conv1.weight").role());
    assertArrayEquals(conv1, m.parameters().get("conv1.weight").value());
    assertEquals(ParameterRole.WEIGHT, m.parameters().get("layer1.0.downsample.0.weight").role());
    assertArrayEquals(new int[] {4, 1, 3, 3, 8}, m.parameters().get("conv1.pweight").shape());
    assertArrayEquals(new int[] {2, 6, 8}, m.parameters().get("fc.pweight").shape());
    assertArrayEquals(new int[] {2, 8}, m.parameters().get("fc.pbias").shape());
    assertEquals(ParameterRole.STRATEGY, m.parameters().get("fc.biasscale").role());
    assertEquals(36 + 216 + 12 + 2, rep.totalParams());
    assertEquals(8 * rep.totalParams(), rep.totalBits());
    assertEquals(4.0, rep.compression());
    QuantizationScheme scheme = rep.scheme(4);
    assertEquals(32, scheme.get("layer1.0.downsample.0").weightBits());
    assertEquals(8, scheme.get("fc").weightBits());
    assertEquals(4.0, scheme.compression(org.bsq.core.graph.LayerInventory.of(m.graph())));
    assertThrows(IllegalStateException.class, () -> BitRepresentation.install(m, List.of("conv1"), 8));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BitRepresentation.install(model(1), List.of("nope"), 8));
    assertTrue(e.getMessage().contains("'tiny-res', was unknown [nope]"), e.getMessage());
  }

  @Test
  void linearBiasIsFedFromItsPlanesAndItsGradientRoutedBack() {
    Model m = model(2);
    BitRepresentation rep = BitRepresentation.install(m, 4);
    BitPlaneWeightSource fc = rep.layer("fc");
    float[] w = new float[12];
    fc.weights(w);
    assertArrayEquals(fc.weightPlanes().reconstruct(), w);
    assertArrayEquals(fc.biasPlanes().reconstruct(), m.parameters().get("fc.bias").value());

    float[] gBias = {0.25f, -1.5f};
    System.arraycopy(gBias, 0, m.parameters().get("fc.bias").grad(), 0, 2);
    float[] gW = new float[12];
    for (int i = 0; i < 12; i++) {
      gW[i] = 0.1f * (i - 5);
    }
    fc.backward(gW);
    assertArrayEquals(new float[2], m.parameters().get("fc.bias").grad(), "float bias gradient moved out");
    BitPlanes bias = fc.biasPlanes();
    float[] exps = BitMath.exps(4);
    float[] q = bias.unitValues();
    float[] gpb = m.parameters().get("fc.pbias").grad();
    float[] gnb = m.parameters().get("fc.nbias").grad();
    float expectedScaleGrad = 0f;
    for (int o = 0; o < 2; o++) {
      for (int i = 0; i < 4; i++) {
        assertEquals((gBias[o] * bias.scale()) * exps[i], gpb[o * 4 + i]);
        assertEquals(-((gBias[o] * bias.scale()) * exps[i]), gnb[o * 4 + i]);
      }
      expectedScaleGrad += gBias[o] * q[o];
    }
    assertEquals(expectedScaleGrad, m.parameters().get("fc.biasscale").grad()[0], 1e-6f);
    float[] qw = fc.weightPlanes().unitValues();
    double gs = 0;
    for (int i = 0; i < 12; i++) {
      gs += gW[i] * qw[i];
    }
    assertEquals(gs, m.parameters().get("fc.scale").grad()[0], 1e-6);
  }

  @Test
  void trainsWithRegularizerClampAndRequantization() {
    Model m = model(3);
    BitRepresentation rep = BitRepresentation.install(m, 8);
    float[] frozen = m.parameters().get("layer1.0.conv1.weight").value().clone();
    BitLassoRegularizer reg = new BitLassoRegularizer(rep, 0.05);
    RequantizeHook requantize = RequantizeHook.paper(rep, 2);
    float[][] planeRange = {{Float.MAX_VALUE, -Float.MAX_VALUE}};
    TrainingConfig config = TrainingConfig.of(4, SgdSettings.bsq(0.05), LearningRateSchedule.constant(), 7);
    Trainer trainer = Trainer.builder(new ReferenceBackend(1), m, config, StripesFixture.data(32, 8, 5, true))
        .lossTerm(reg)
        .stepHook(new PlaneClampHook(rep, PlaneClampHook.Mode.BIT_PLANES))
        .stepHook(step -> {
          for (BitPlaneWeightSource s : rep.layers()) {
            for (float v : step.parameters().get(BitPlaneWeightSource.pweightName(s.layer())).value()) {
              planeRange[0][0] = Math.min(planeRange[0][0], v);
              planeRange[0][1] = Math.max(planeRange[0][1], v);
            }
          }
        })
        .epochHook(requantize)
        .build();
    TrainingResult result = trainer.train();
    assertEquals(4, result.history().size());
    assertTrue(Double.isFinite(result.history().get(3).trainLoss()));
    assertTrue(planeRange[0][0] >= 0f && planeRange[0][1] <= 2f, "planes clamped to [0, 2]: "
        + planeRange[0][0] + ".." + planeRange[0][1]);
    assertTrue(reg.lastRegularizer() > 0);
    // the final re-quantization leaves binary planes and at most 8 bits
    for (BitPlaneWeightSource s : rep.layers()) {
      assertTrue(s.bits() >= 1 && s.bits() <= 8, s.layer() + " bits " + s.bits());
      for (float v : s.weightPlanes().p()) {
        assertTrue(v == 0f || v == 1f, s.layer() + " binary planes");
      }
    }
    assertArrayEquals(frozen, m.parameters().get("layer1.0.conv1.weight").value(), "frozen float weights untouched");
    assertTrue(rep.averageBits() <= 8.0);
    for (LayerStatistics st : rep.statistics()) {
      assertEquals(st.bits(), st.weightNonZeroPercent().size());
    }
  }

  @Test
  void requantizationReplacesOnlyLayersWhosePrecisionChanged() {
    Model m = model(4);
    BitRepresentation rep = BitRepresentation.install(m, 4);
    Parameter fcPlanes = m.parameters().get("fc.pweight");
    java.util.Arrays.fill(m.parameters().get("conv1.pweight").value(), 2f);
    java.util.Arrays.fill(m.parameters().get("conv1.nweight").value(), 0f);
    float scale = m.parameters().get("conv1.scale").value()[0];
    assertEquals(List.of("conv1"), List.copyOf(rep.requantize(8)));
    assertEquals(5, rep.layer("conv1").bits());
    assertEquals((scale * 31f) / 15f, m.parameters().get("conv1.scale").value()[0]);
    assertSame(fcPlanes, m.parameters().get("fc.pweight"), "unchanged precision: values written in place");
    Parameter conv1 = m.parameters().get("conv1.pweight");
    rep.reshapeTo(Map.of("conv1.pweight", new int[] {4, 1, 3, 3, 3}));
    assertEquals(3, rep.layer("conv1").bits());
    assertNotSame(conv1, m.parameters().get("conv1.pweight"));
  }

  @Test
  void compatibilityClampHitsEveryNonScaleNonBnParameterButNotTheBiasMirror() {
    Model m = model(5);
    BitRepresentation rep = BitRepresentation.install(m, 8);
    var store = m.parameters();
    store.get("layer1.0.downsample.0.weight").value()[0] = -0.5f;
    store.get("layer1.0.downsample.1.bias").value()[0] = -0.25f;
    store.get("layer1.0.bn1.bias").value()[0] = -0.25f;
    store.get("fc.bias").value()[0] = -0.125f;
    store.get("conv1.scale").value()[0] = 3f;
    store.get("conv1.pweight").value()[0] = 2.5f;
    StepContext step = new StepContext(m, 0, 0, 1, 0, 1, 0.1);
    new PlaneClampHook(rep, PlaneClampHook.Mode.BIT_PLANES).afterStep(step);
    assertEquals(2f, store.get("conv1.pweight").value()[0]);
    assertEquals(-0.5f, store.get("layer1.0.downsample.0.weight").value()[0]);
    new PlaneClampHook(rep, PlaneClampHook.Mode.REFERENCE_COMPATIBLE).afterStep(step);
    assertEquals(0f, store.get("layer1.0.downsample.0.weight").value()[0]);
    assertEquals(0f, store.get("layer1.0.downsample.1.bias").value()[0]);
    assertEquals(-0.25f, store.get("layer1.0.bn1.bias").value()[0]);
    assertEquals(-0.125f, store.get("fc.bias").value()[0]);
    assertEquals(3f, store.get("conv1.scale").value()[0]);
  }

  @Test
  void anAllZeroOneBitLayerIsPrunedInTheSchemeAndUninstallRestoresFloatWeights() {
    Model m = model(6);
    BitRepresentation rep = BitRepresentation.install(m, 8);
    java.util.Arrays.fill(m.parameters().get("layer1.0.conv1.pweight").value(), 0f);
    java.util.Arrays.fill(m.parameters().get("layer1.0.conv1.nweight").value(), 0f);
    rep.adjustPrecision(0.0, true);
    assertEquals(1, rep.layer("layer1.0.conv1").bits());
    assertEquals(0, rep.scheme(4).get("layer1.0.conv1").weightBits());
    float[] forward = rep.layer("conv1").weightPlanes().reconstruct();
    rep.uninstall();
    assertEquals(ParameterRole.WEIGHT, m.parameters().get("conv1.weight").role());
    assertArrayEquals(forward, m.parameters().get("conv1.weight").value());
    assertTrue(!m.parameters().contains("conv1.pweight"));
  }
}
