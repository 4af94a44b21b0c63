package org.bsq.core.engine.reference;

/**
 * Pins one backward mask decision of a clipping activation (ReLU, ReLU6, the ReLU6 quantizer) in a
 * {@link ReferenceBackend} network: whether the gradient of element {@code index} of the batch tensor entering
 * activation {@code activation} passes ({@code passes}) or is zeroed, whatever the sign of the float value there.
 *
 * <p>What it is for: reproducing a step computed by another implementation (a golden file) where an activation input
 * lies within float rounding of a clipping boundary (0 or 6). The forward output is the same on both sides of such a
 * boundary once quantized, but the backward mask is not, and which side a value lands on is decided by the other
 * implementation's summation order, which no re-implementation can copy in general. A pin may only decide such a
 * near-tie: the network throws when the pinned element's input lies farther than {@code tolerance} from every
 * boundary, so a pin can never change a decision the forward values actually make.
 *
 * @param activation the activation op's name in the graph
 * @param index the element of the {@code batch x C x H x W} input tensor, row-major
 * @param passes whether the gradient passes (true) or is zeroed (false)
 * @param tolerance the largest allowed distance of the element's input from a clipping boundary
 */
public record MaskPin(String activation, int index, boolean passes, float tolerance) {
  public MaskPin {
    if (activation == null || activation.isBlank()) {
      throw new IllegalArgumentException("mask pin activation must be named, was " + activation);
    }
    if (index < 0) {
      throw new IllegalArgumentException("mask pin index must be >= 0, was " + index);
    }
    if (!(tolerance >= 0f) || Float.isInfinite(tolerance)) {
      throw new IllegalArgumentException("mask pin tolerance must be finite and >= 0, was " + tolerance);
    }
  }
}
