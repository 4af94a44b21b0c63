package org.bsq.core.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.param.Parameter;
import org.bsq.core.train.InMemoryBatchSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class Nd4jInteropTest {

  @Test
  void parametersRoundTripThroughIndArraysWithTheirShapes() {
    Model model = TinyNets.residualFloat(3);
    Map<String, INDArray> arrays = Nd4jTensors.toMap(model.parameters());
    assertEquals(model.parameters().size(), arrays.size());
    Parameter conv = model.parameters().all().iterator().next();
    INDArray a = arrays.get(conv.name());
    assertArrayEquals(java.util.Arrays.stream(conv.shape()).asLongStream().toArray(), a.shape());
    // Element [o, i, y, x] of the array is the row-major element of the parameter.
    int[] s = conv.shape();
    assertEquals(conv.value()[((1 * s[1] + 0) * s[2] + 2) * s[3] + 1], a.getFloat(1, 0, 2, 1), 0f);

    INDArray doubled = a.mul(2);
    Nd4jTensors.copyInto(doubled, conv);
    assertEquals(2 * a.getFloat(0, 0, 0, 0), conv.value()[0], 0f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Nd4jTensors.copyInto(Nd4j.zeros(3, 3), conv));
    assertTrue(e.getMessage().contains("must have shape"), e.getMessage());
  }

  @Test
  void outputEqualsTheCompiledNetworksLogits() {
    Model model = TinyNets.residualFloat(4);
    float[] x = TinyNets.input(model, 3, 9);
    org.bsq.core.graph.Shape in = model.graph().inputShape();
    INDArray features = Nd4j.create(x, new long[] {3, in.channels(), in.height(), in.width()}, 'c');
    INDArray logits = Nd4jTensors.output(new ReferenceBackend(1), model, features);
    float[] expected;
    try (CompiledNetwork net = new ReferenceBackend(1).compile(model, 3)) {
      expected = net.forward(x, false).clone();
    }
    assertArrayEquals(new long[] {3, model.graph().numClasses()}, logits.shape());
    assertArrayEquals(expected, logits.data().asFloat(), 0f);
  }

  @Test
  void batchSourceIsADataSetIteratorWithOneHotLabels() {
    int n = 10;
    float[] images = new float[n * 2 * 2];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 3;
      images[i * 4] = i;
    }
    InMemoryBatchSource source = new InMemoryBatchSource("toy", images, labels, 1, 2, 2, 3, 4, 7, false);
    BatchSourceIterator it = new BatchSourceIterator(source, 0);
    assertEquals(4, it.inputColumns());
    assertEquals(3, it.totalOutcomes());
    int seen = 0;
    while (it.hasNext()) {
      DataSet ds = it.next();
      long rows = ds.getFeatures().size(0);
      for (int r = 0; r < rows; r++) {
        int sample = (int) ds.getFeatures().getFloat(r, 0, 0, 0);
        assertEquals(1f, ds.getLabels().getFloat(r, sample % 3), 0f, "one-hot label of sample " + sample);
        assertEquals(1f, ds.getLabels().getRow(r).sumNumber().floatValue(), 0f);
      }
      seen += (int) rows;
    }
    assertEquals(n, seen, "last batch is partial, nothing dropped");
    it.reset();
    assertEquals(1, it.epoch());
    assertTrue(it.hasNext());
  }
}
