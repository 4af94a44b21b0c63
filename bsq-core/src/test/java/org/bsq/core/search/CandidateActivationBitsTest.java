package org.bsq.core.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.graph.Shape;
import org.bsq.core.param.Parameter;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.train.InMemoryBatchSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The candidate evaluator applies each candidate's activation bits (through {@code SchemeInstaller}) and puts the
 * model's activation specs and tensors back between candidates and when closed.
 */
class CandidateActivationBitsTest {
  @Test
  void candidatesGetTheirActivationBitsAndTheModelIsRestored(@TempDir Path dir) {
    Model model = TinyNets.randomModel(TinyNets.resnetLikeGraph(ActivationSpec.quantized(4)), 71);
    Shape s = model.graph().inputShape();
    int n = 16;
    float[] x = TinyNets.input(model, n, 72);
    int[] y = TinyNets.labels(model, n, 73);
    InMemoryBatchSource train = new InMemoryBatchSource("tiny/train", x, y, s.channels(), s.height(), s.width(),
        TinyNets.CLASSES, 4, 1, true);
    InMemoryBatchSource val = new InMemoryBatchSource("tiny/val", x, y, s.channels(), s.height(), s.width(),
        TinyNets.CLASSES, 8, 1, false);
    LayerInventory inv = LayerInventory.of(model.graph());
    StrategyContext ctx = new StrategyContext(inv, model, new ReferenceBackend(1), train, val, new SizeOnlyCostModel(),
        new Budget(1, 0, 0), 5, null, dir);
    Set<String> namesBefore = names(model);

    QuantizationScheme uniform = QuantizationScheme.uniform(inv, 8, 4);
    List<LayerPrecision> layers = new ArrayList<>();
    for (LayerInfo l : inv) {
      int act = l.name().equals("layer2.0.conv1") || l.name().equals("layer2.0.conv2") ? 2 : 4;
      layers.add(l.projectionShortcut() ? LayerPrecision.full(l.name()) : LayerPrecision.of(l.name(), 8, act));
    }
    QuantizationScheme perLayer = new QuantizationScheme(layers);

    try (CandidateEvaluator candidates = ctx.candidates(new CandidateSettings(0, 2, 1e-2, 8))) {
      CandidateResult a = candidates.evaluate(uniform, r -> r.top1());
      CandidateResult b = candidates.evaluate(perLayer, r -> r.top1());
      CandidateResult c = candidates.evaluate(uniform, r -> r.top1());
      assertNotEquals(a.loss(), b.loss(), "2-bit PACT activations must change the candidate's loss");
      assertEquals(a.loss(), c.loss(), "the same candidate after another one gives the same result");
      assertEquals(a.top1(), c.top1());
      assertEquals(Map.of(), model.activationSpecOverrides());
    }
    assertEquals(Map.of(), model.activationSpecOverrides());
    assertEquals(namesBefore, names(model)); // no PACT clip left behind
    assertFalse(model.parameters().contains("layer1.0.act2.alpha"));
  }

  private static Set<String> names(Model model) {
    Set<String> out = new HashSet<>();
    for (Parameter p : model.parameters().all()) {
      out.add(p.name());
    }
    return out;
  }
}
