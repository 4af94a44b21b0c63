package org.bsq.core.nd4j;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.Shape;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterStore;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Parameters and model outputs as ND4J arrays (copies, in the parameters' own shapes and C order). */
public final class Nd4jTensors {
  private Nd4jTensors() {}

  /** A float32 copy of a parameter with its shape (OIHW for conv weights, {@code [out, in]} for linear). */
  public static INDArray toINDArray(Parameter p) {
    long[] shape = Arrays.stream(p.shape()).asLongStream().toArray();
    return Nd4j.create(p.value().clone(), shape, 'c');
  }

  /** Every parameter and buffer of a store, by name, in model order. */
  public static Map<String, INDArray> toMap(ParameterStore store) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    for (Parameter p : store.all()) {
      out.put(p.name(), toINDArray(p));
    }
    return out;
  }

  /**
   * Copies {@code array} into the parameter's values.
   *
   * @throws IllegalArgumentException when the shapes differ
   */
  public static void copyInto(INDArray array, Parameter p) {
    long[] expected = Arrays.stream(p.shape()).asLongStream().toArray();
    if (!Arrays.equals(expected, array.shape())) {
      throw new IllegalArgumentException("array for parameter '" + p.name() + "' must have shape "
          + Arrays.toString(expected) + ", was " + Arrays.toString(array.shape()));
    }
    float[] values = array.castTo(DataType.FLOAT).dup('c').data().asFloat();
    System.arraycopy(values, 0, p.value(), 0, p.size());
  }

  /**
   * Runs a model in evaluation mode on {@code features} ({@code [n, C, H, W]}, normalized) and returns the logits
   * {@code [n, classes]}. Compiles the model for batch size {@code n} on the given backend.
   */
  public static INDArray output(Backend backend, Model model, INDArray features) {
    Shape in = model.graph().inputShape();
    long[] s = features.shape();
    if (s.length != 4 || s[1] != in.channels() || s[2] != in.height() || s[3] != in.width() || s[0] < 1) {
      throw new IllegalArgumentException("features must have shape [n, " + in.channels() + ", " + in.height() + ", "
          + in.width() + "], was " + Arrays.toString(s));
    }
    int n = (int) s[0];
    float[] x = features.castTo(DataType.FLOAT).dup('c').data().asFloat();
    try (CompiledNetwork net = backend.compile(model, n)) {
      float[] logits = net.forward(x, false);
      return Nd4j.create(logits.clone(), new long[] {n, model.graph().numClasses()}, 'c');
    }
  }
}
