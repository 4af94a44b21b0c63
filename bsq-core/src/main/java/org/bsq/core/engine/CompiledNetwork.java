package org.bsq.core.engine;

/**
 * A model compiled for one batch size. Not thread-safe: one caller at a time. Holds native memory: close it.
 *
 * <p>Protocol of a training step: {@code forward(x, true)}, compute dL/dlogits (for example with
 * {@link SoftmaxCrossEntropy}), {@code backward(dlogits)}; gradients are then <em>added</em> to the parameter
 * gradients in the model's {@link org.bsq.core.param.ParameterStore} and passed to the weight sources. The caller zeroes
 * gradients before a step.
 */
public interface CompiledNetwork extends AutoCloseable {
  Model model();

  int batchSize();

  /**
   * Runs the forward pass on {@code input} ({@code batchSize x C x H x W} floats, NCHW, already normalized) and
   * returns the logits ({@code batchSize x classes}, row-major). The returned array is owned by the network and
   * overwritten by the next call. In training mode batch norm uses the batch statistics and updates the running
   * statistics in the store; weights are fetched from the weight sources on every call.
   */
  float[] forward(float[] input, boolean training);

  /**
   * Back-propagates {@code logitsGradient} (dL/dlogits, same layout as the logits) through the last training-mode
   * forward pass, adding parameter gradients into the store and handing dL/dW to each layer's weight source.
   */
  void backward(float[] logitsGradient);

  @Override
  void close();
}
