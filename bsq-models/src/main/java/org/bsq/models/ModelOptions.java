package org.bsq.models;

import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Shape;

/**
 * How to instantiate a model architecture.
 *
 * @param input per-sample input shape (3x32x32 for CIFAR-10, 1x28x28 for Fashion-MNIST)
 * @param numClasses number of output classes
 * @param blockActivation activation inside residual blocks (after bn1 and after the residual add); the stem always
 *     uses plain ReLU, as in the reference
 */
public record ModelOptions(Shape input, int numClasses, ActivationSpec blockActivation) {
  public ModelOptions {
    if (numClasses < 2) {
      throw new IllegalArgumentException("numClasses must be >= 2, was " + numClasses);
    }
    if (input == null || blockActivation == null) {
      throw new IllegalArgumentException("input shape and block activation must be given");
    }
  }

  /** CIFAR-10 with plain ReLU everywhere (how the pretrained full-precision ResNet-20 was trained). */
  public static ModelOptions cifar10() {
    return new ModelOptions(new Shape(3, 32, 32), 10, ActivationSpec.relu());
  }

  /**
   * Block activation from the CLI-level options: {@code activation} is "relu" or "relu6"; {@code actBits > 0} selects
   * the reference's quantized activation (ReLU6 + quantizer above 3 bits, PACT + quantizer at 3 bits or fewer), which
   * needs activation "relu6".
   */
  public static ActivationSpec blockActivation(String activation, int actBits) {
    if (actBits < 0 || actBits > 16) {
      throw new IllegalArgumentException("activation bits must be in [0, 16] (0 = not quantized), was " + actBits);
    }
    return switch (activation) {
      case "relu" -> {
        if (actBits > 0) {
          throw new IllegalArgumentException("quantized activations (act bits " + actBits
              + ") use ReLU6 or PACT as in the reference; use activation relu6, was relu");
        }
        yield ActivationSpec.relu();
      }
      case "relu6" -> ActivationSpec.quantized(actBits);
      default -> throw new IllegalArgumentException("activation must be one of [relu, relu6], was '" + activation + "'");
    };
  }

  public ModelOptions withBlockActivation(ActivationSpec spec) {
    return new ModelOptions(input, numClasses, spec);
  }
}
