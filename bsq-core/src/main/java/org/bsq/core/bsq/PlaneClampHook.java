package org.bsq.core.bsq;

import java.util.HashSet;
import java.util.Set;
import org.bsq.core.param.Parameter;
import org.bsq.core.train.StepContext;
import org.bsq.core.train.StepHook;

/**
 * Clamps BSQ's bit planes to {@code [0, 2]} after every optimizer step (2 lets a bit carry into the next plane).
 *
 * <p>{@link Mode#BIT_PLANES} (the default) clamps only the plane parameters of the converted layers.
 * {@link Mode#REFERENCE_COMPATIBLE} reproduces {@code cifar_prune_STE.py} exactly: every trainable parameter whose name
 * contains neither {@code "scale"} nor {@code "bn"} is clamped, which also hits the full-precision projection
 * shortcuts ({@code layerS.0.downsample.0.weight}), their batch norms ({@code downsample.1.weight/bias}) and PACT clip
 * levels (docs/algorithm.md sections 6 and 12.1). The float parameters that only mirror bit planes (a converted
 * linear layer's {@code <layer>.bias}, which the reference does not have) are skipped.
 */
public final class PlaneClampHook implements StepHook {
  /** Which parameters are clamped. */
  public enum Mode {
    /** Only the bit planes of converted layers. */
    BIT_PLANES,
    /** Every trainable parameter whose name lacks "scale" and "bn", as the reference code does. */
    REFERENCE_COMPATIBLE
  }

  /** The clamp range's lower end. */
  public static final float LOW = 0f;
  /** The clamp range's upper end. */
  public static final float HIGH = 2f;

  private final BitRepresentation bits;
  private final Mode mode;

  public PlaneClampHook(BitRepresentation bits, Mode mode) {
    if (mode == null) {
      throw new IllegalArgumentException("clamp mode must be given, was null");
    }
    this.bits = bits;
    this.mode = mode;
  }

  public Mode mode() { return mode; }

  @Override
  public void afterStep(StepContext step) {
    var store = step.parameters();
    if (mode == Mode.BIT_PLANES) {
      for (BitPlaneWeightSource s : bits.layers()) {
        BitMath.clamp(store.get(BitPlaneWeightSource.pweightName(s.layer())).value(), LOW, HIGH);
        BitMath.clamp(store.get(BitPlaneWeightSource.nweightName(s.layer())).value(), LOW, HIGH);
        if (s.hasBias()) {
          BitMath.clamp(store.get(BitPlaneWeightSource.pbiasName(s.layer())).value(), LOW, HIGH);
          BitMath.clamp(store.get(BitPlaneWeightSource.nbiasName(s.layer())).value(), LOW, HIGH);
        }
      }
      return;
    }
    Set<String> mirrors = new HashSet<>();
    for (BitPlaneWeightSource s : bits.layers()) {
      if (s.hasBias()) {
        mirrors.add(BitPlaneWeightSource.floatBiasName(s.layer()));
      }
    }
    for (Parameter p : store.all()) {
      if (p.trainable() && !p.name().contains("scale") && !p.name().contains("bn") && !mirrors.contains(p.name())) {
        BitMath.clamp(p.value(), LOW, HIGH);
      }
    }
  }
}
