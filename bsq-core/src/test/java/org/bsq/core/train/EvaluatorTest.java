package org.bsq.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.GraphBuilder;
import org.junit.jupiter.api.Test;

/**
 * Evaluator metrics on handmade logits: an identity linear layer (weight I, bias 0) on {@code classes x 1 x 1} inputs
 * makes the logits equal to the input values.
 */
class EvaluatorTest {
  private static Model identity(int classes) {
    GraphBuilder b = new GraphBuilder("identity", classes, 1, 1);
    b.linear("fc", b.input(), classes);
    Graph g = b.build();
    Model m = Model.withZeroParameters(g);
    float[] w = m.parameters().get("fc.weight").value();
    for (int i = 0; i < classes; i++) {
      w[i * classes + i] = 1f;
    }
    return m;
  }

  private static double meanCrossEntropy(float[] logits, int[] labels, int classes) {
    double sum = 0;
    for (int s = 0; s < labels.length; s++) {
      double z = 0;
      for (int c = 0; c < classes; c++) {
        z += Math.exp(logits[s * classes + c]);
      }
      sum += Math.log(z) - logits[s * classes + labels[s]];
    }
    return sum / labels.length;
  }

  @Test
  void topOneTopKAndLossWithFewerThanFiveClasses() {
    float[] logits = {
        3, 1, 2,   // label 0: top-1 hit
        1, 1, 0,   // label 1: tied with class 0 -> counted as a top-1 hit (tie rule)
        0, 5, 1,   // label 2: one larger logit -> top-1 miss
        2, 1, 0};  // label 2: two larger logits -> top-1 miss, still a top-3 hit
    int[] labels = {0, 1, 2, 2};
    InMemoryBatchSource source = new InMemoryBatchSource("handmade", logits, labels, 3, 1, 1, 3, 3, 0, false);
    EvaluationResult r = Evaluator.evaluate(new ReferenceBackend(1), identity(3), source);
    assertEquals(4, r.samples());
    assertEquals(3, r.topK(), "k = min(5, classes)");
    assertEquals(2, r.top1Correct());
    assertEquals(4, r.topKCorrect());
    assertEquals(0.5, r.top1());
    assertEquals(1.0, r.top5());
    assertEquals(meanCrossEntropy(logits, labels, 3), r.loss(), 1e-12);
  }

  @Test
  void topFiveWithSevenClasses() {
    float[] logits = {
        6, 5, 4, 3, 2, 1, 0,   // label 5: five larger -> top-5 miss
        6, 5, 4, 3, 2, 1, 0,   // label 4: four larger -> top-5 hit
        0, 0, 0, 0, 0, 0, 0,   // label 6: all tied -> hit
        1, 1, 1, 1, 1, 1, 2};  // label 0: one larger -> top-5 hit, top-1 miss
    int[] labels = {5, 4, 6, 0};
    InMemoryBatchSource source = new InMemoryBatchSource("handmade7", logits, labels, 7, 1, 1, 7, 2, 0, false);
    EvaluationResult r = Evaluator.evaluate(new ReferenceBackend(1), identity(7), source);
    assertEquals(5, r.topK());
    assertEquals(1, r.top1Correct());
    assertEquals(3, r.topKCorrect());
    assertEquals(meanCrossEntropy(logits, labels, 7), r.loss(), 1e-12);
  }

  @Test
  void rankOfLabel() {
    float[] row = {0.5f, Float.NaN, 2f, 0.5f};
    assertEquals(1, Evaluator.rankOfLabel(row, 0, 4, 0));
    assertEquals(0, Evaluator.rankOfLabel(row, 0, 4, 2));
    assertEquals(4, Evaluator.rankOfLabel(row, 0, 4, 1), "a NaN label logit is never a hit");
    assertThrows(IllegalArgumentException.class, () -> Evaluator.rankOfLabel(row, 0, 4, 4));
  }
}
