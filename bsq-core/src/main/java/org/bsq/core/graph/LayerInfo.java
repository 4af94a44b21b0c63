package org.bsq.core.graph;

import java.util.List;

/**
 * One weight layer (conv or linear) of a model, as quantization strategies and cost models see it.
 *
 * @param index position in model order (0-based)
 * @param name reference layer name ({@code conv1}, {@code layer2.0.downsample.0}, {@code fc})
 * @param kind conv or linear
 * @param weightShape OIHW for convs, {@code [out, in]} for linear layers
 * @param weightCount number of weights
 * @param biasCount number of bias values (0 for the bias-free convs)
 * @param macsPerSample multiply-accumulates per input sample
 * @param input per-sample input shape
 * @param output per-sample output shape
 * @param kernel kernel size (1 for linear layers)
 * @param stride stride (1 for linear layers)
 * @param projectionShortcut whether the layer is a residual projection shortcut (BSQ keeps these at full precision)
 */
public record LayerInfo(int index, String name, Kind kind, List<Integer> weightShape, long weightCount, long biasCount,
                        long macsPerSample, Shape input, Shape output, int kernel, int stride,
                        boolean projectionShortcut) {
  /** Layer kinds. */
  public enum Kind { CONV, LINEAR }

  public LayerInfo {
    weightShape = List.copyOf(weightShape);
  }

  /** Weights plus biases. */
  public long paramCount() { return weightCount + biasCount; }
}
