package org.bsq.core.engine;

import org.bsq.core.param.Parameter;

/** The default weight source: the float weights of one {@link Parameter}, used as they are. */
public final class ParameterWeightSource implements WeightSource {
  private final Parameter parameter;

  public ParameterWeightSource(Parameter parameter) {
    this.parameter = parameter;
  }

  public Parameter parameter() { return parameter; }

  @Override
  public void weights(float[] dst) {
    System.arraycopy(parameter.value(), 0, dst, 0, parameter.size());
  }

  @Override
  public void backward(float[] gradient) {
    float[] g = parameter.grad();
    for (int i = 0; i < g.length; i++) {
      g[i] += gradient[i];
    }
  }
}
