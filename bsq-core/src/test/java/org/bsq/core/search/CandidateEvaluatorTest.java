package org.bsq.core.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.engine.onednn.OneDnnBackend;
import org.bsq.core.engine.reference.ReferenceBackend;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Candidate evaluation: isolated candidates, budget enforcement, the search log. */
class CandidateEvaluatorTest {
  @TempDir
  Path dir;

  private static Backend backend(String name) {
    return "onednn".equals(name) ? new OneDnnBackend() : new ReferenceBackend(1);
  }

  private StrategyContext context(Backend backend, Budget budget, List<SearchListener> listeners) {
    Model model = TinyNets.residualFloat(3);
    Shape s = model.graph().inputShape();
    int n = 24;
    float[] x = TinyNets.input(model, n, 4);
    int[] y = TinyNets.labels(model, n, 5);
    InMemoryBatchSource train = new InMemoryBatchSource("tiny/train", x, y, s.channels(), s.height(), s.width(),
        TinyNets.CLASSES, 8, 6, true);
    float[] vx = TinyNets.input(model, 20, 7);
    int[] vy = TinyNets.labels(model, 20, 8);
    InMemoryBatchSource val = new InMemoryBatchSource("tiny/val", vx, vy, s.channels(), s.height(), s.width(),
        TinyNets.CLASSES, 8, 6, false);
    LayerInventory inv = LayerInventory.of(model.graph());
    return new StrategyContext(inv, model, backend, train, val, new SizeOnlyCostModel(), budget, 1, null, dir,
        List.of(), null, new SearchLog(budget, listeners));
  }

  private static QuantizationScheme scheme(LayerInventory inv, int... bits) {
    List<LayerPrecision> out = new ArrayList<>();
    int i = 0;
    for (LayerInfo l : inv) {
      out.add(l.projectionShortcut() ? LayerPrecision.full(l.name()) : LayerPrecision.of(l.name(), bits[i++], 0));
    }
    return new QuantizationScheme(out);
  }

  private static TreeMap<String, float[]> values(Model m) {
    TreeMap<String, float[]> out = new TreeMap<>();
    for (Parameter p : m.parameters().all()) {
      out.put(p.name() + "/" + p.role(), p.value().clone());
    }
    return out;
  }

  private static void assertSameValues(TreeMap<String, float[]> a, TreeMap<String, float[]> b) {
    assertEquals(a.keySet(), b.keySet(), "the same parameters with the same roles");
    a.forEach((k, v) -> assertTrue(java.util.Arrays.equals(v, b.get(k)), "values of " + k));
  }

  @ParameterizedTest
  @ValueSource(strings = {"reference", "onednn"})
  void candidatesAreIsolatedAtoBtoAIsBitIdentical(String backendName) {
    for (int finetuneBatches : new int[] {0, 2}) {
      StrategyContext ctx = context(backend(backendName), new Budget(0, 0, 0), List.of());
      TreeMap<String, float[]> before = values(ctx.model());
      QuantizationScheme a = scheme(ctx.layers(), 3, 4, 2, 5, 4, 6);
      QuantizationScheme b = scheme(ctx.layers(), 8, 2, 8, 2, 8, 2);
      try (CandidateEvaluator ev = ctx.candidates(new CandidateSettings(0, finetuneBatches, 0.05, 0))) {
        CandidateResult a1 = ev.evaluate(a);
        CandidateResult b1 = ev.evaluate(b);
        CandidateResult a2 = ev.evaluate(a);
        assertEquals(a1.top1(), a2.top1(), "A, B, A: A's accuracy bit for bit (finetune " + finetuneBatches + ")");
        assertEquals(Double.doubleToLongBits(a1.loss()), Double.doubleToLongBits(a2.loss()),
            "A's loss bit for bit (finetune " + finetuneBatches + "), was " + a1.loss() + " then " + a2.loss());
        assertNotEquals(a1.loss(), b1.loss(), "B is another candidate");
        assertEquals(20, a1.samples());
        assertEquals(1, a1.index());
        assertEquals(3, a2.index());
      }
      assertSameValues(before, values(ctx.model()));
      assertTrue(ctx.model().weightSourceBindings().isEmpty(), "no weight source left bound");
    }
  }

  @Test
  void theFullPrecisionModelIsMeasuredOnTheSameImagesAndLeftUnchanged() {
    StrategyContext ctx = context(new ReferenceBackend(1), new Budget(0, 0, 0), List.of());
    TreeMap<String, float[]> before = values(ctx.model());
    try (CandidateEvaluator ev = ctx.candidates(CandidateSettings.onSamples(12))) {
      ev.evaluate(scheme(ctx.layers(), 2, 2, 2, 2, 2, 2));
      assertEquals(12, ev.fullPrecision().samples());
      double full = ev.fullPrecision().loss();
      ev.evaluate(scheme(ctx.layers(), 16, 16, 16, 16, 16, 16));
      CandidateResult fine = ev.evaluate(scheme(ctx.layers(), 16, 16, 16, 16, 16, 16));
      assertEquals(full, fine.loss(), 1e-3, "16-bit weights are nearly the float model");
    }
    assertSameValues(before, values(ctx.model()));
  }

  @Test
  void theEvaluationBudgetIsEnforcedAndEveryStepLogged() {
    List<SearchStep> seen = new ArrayList<>();
    StrategyContext ctx = context(new ReferenceBackend(1), new Budget(0, 3, 0), List.of(seen::add));
    QuantizationScheme a = scheme(ctx.layers(), 3, 4, 2, 5, 4, 6);
    try (CandidateEvaluator ev = ctx.candidates(CandidateSettings.defaults())) {
      assertEquals(3, ev.remaining());
      ev.evaluate(a, r -> -r.cost());
      ev.evaluate(scheme(ctx.layers(), 2, 2, 2, 2, 2, 2), r -> -r.cost());
      ev.evaluate(a, r -> -r.cost());
      assertFalse(ev.canEvaluate());
      BudgetExhaustedException e = assertThrows(BudgetExhaustedException.class, () -> ev.evaluate(a));
      assertTrue(e.getMessage().contains("strategy.budget.evaluations = 3"), e.getMessage());
    }
    assertEquals(3, seen.size());
    assertEquals(ctx.searchLog().steps(), seen);
    SearchStep second = seen.get(1);
    assertEquals(2, second.index());
    assertEquals(3, second.planned());
    assertEquals(2.0, second.cost(), 1e-12, "all counted layers at 2 bits: 2 average bits");
    assertEquals(-2.0, second.bestReward(), 1e-12, "reward -cost: the cheaper scheme is the best so far");
    assertEquals(2.0, second.bestCost(), 1e-12);
    assertEquals(-2.0, seen.get(2).bestReward(), 1e-12, "a worse reward does not replace the best");
    assertEquals(a, SearchLog.scheme(seen.get(0), ctx.layers()), "the step keeps the candidate's bits");
  }

  @Test
  void theTimeBudgetStopsASearch() {
    long[] now = {0};
    Budget budget = new Budget(0, 0, 10);
    SearchLog log = new SearchLog(budget, List.of(), () -> now[0]);
    log.start();
    assertTrue(log.canEvaluate());
    now[0] = 11_000_000_000L;
    assertFalse(log.canEvaluate());
    BudgetExhaustedException e = assertThrows(BudgetExhaustedException.class, log::checkCanEvaluate);
    assertTrue(e.getMessage().contains("strategy.budget.seconds = 10.0"), e.getMessage());
  }

  @Test
  void aContextWithoutValidationCannotEvaluateCandidates() {
    StrategyContext c = context(new ReferenceBackend(1), new Budget(0, 0, 0), List.of());
    StrategyContext none = new StrategyContext(c.layers(), c.model(), c.backend(), c.train(), null, c.cost(),
        c.budget(), 1, null, dir);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> none.candidates(CandidateSettings.defaults()));
    assertTrue(e.getMessage().contains("validation"), e.getMessage());
  }
}
