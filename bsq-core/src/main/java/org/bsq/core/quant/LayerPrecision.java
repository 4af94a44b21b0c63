package org.bsq.core.quant;

/**
 * The precision of one weight layer: its weights (and bias, which is stored at the weight precision in this value) and
 * the activations it consumes. Immutable.
 *
 * @param layer the reference layer name, e.g. {@code layer2.0.conv1}
 * @param weights weight precision (0 = pruned layer, 32 = full precision)
 * @param activations precision of the layer's input activations (32 = not quantized)
 */
public record LayerPrecision(String layer, Precision weights, Precision activations) {
  public LayerPrecision {
    if (layer == null || layer.isBlank()) {
      throw new IllegalArgumentException("layer name must not be blank, was '" + layer + "'");
    }
    if (weights == null) {
      throw new IllegalArgumentException("weight precision for layer '" + layer + "' must be given, was null");
    }
    if (activations == null) {
      throw new IllegalArgumentException("activation precision for layer '" + layer + "' must be given, was null");
    }
  }

  /**
   * A layer precision from bit counts; errors name the layer and the rule, e.g. {@code weight bits for layer
   * 'layer2.0.conv1' must be in [0, 16] (or 32 for full precision), was 17}.
   */
  public static LayerPrecision of(String layer, int weightBits, int activationBits) {
    if (layer == null || layer.isBlank()) {
      throw new IllegalArgumentException("layer name must not be blank, was '" + layer + "'");
    }
    return new LayerPrecision(layer, Precision.of(weightBits, "weight bits for layer '" + layer + "'"),
        Precision.of(activationBits, "activation bits for layer '" + layer + "'"));
  }

  /** A full-precision layer (weights and activations at 32 bits). */
  public static LayerPrecision full(String layer) {
    return new LayerPrecision(layer, Precision.FULL, Precision.FULL);
  }

  public int weightBits() { return weights.bits(); }

  public int activationBits() { return activations.bits(); }
}
