package org.bsq.core.engine;

/**
 * Where a conv or linear layer's effective weight tensor comes from. Before a forward pass the engine asks the source
 * for the weights; after the backward pass it hands the source dL/dW. Float weights ({@link ParameterWeightSource}),
 * BSQ bit planes (reconstruct, straight-through backward into planes and scale) and fixed-precision finetuning
 * (quantize + STE) are sources; a strategy swaps sources without touching layers or kernels.
 */
public interface WeightSource {
  /** Writes the effective weights into {@code dst} (the layer's weight shape, row-major: OIHW or [out, in]). */
  void weights(float[] dst);

  /**
   * Receives dL/dW for the weights last returned by {@link #weights(float[])}, for the mean-reduced loss, and
   * accumulates it into the gradients of whatever the source owns. {@code gradient} is only valid during the call.
   */
  void backward(float[] gradient);
}
