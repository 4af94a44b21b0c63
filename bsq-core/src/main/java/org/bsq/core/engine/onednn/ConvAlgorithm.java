package org.bsq.core.engine.onednn;

/**
 * Which oneDNN convolution algorithm the {@link OneDnnBackend} asks for.
 *
 * <ul>
 *   <li>{@code DIRECT}: {@code convolution_direct} for forward, backward-data and backward-weights (the default;
 *       predictable, never picks Winograd).</li>
 *   <li>{@code AUTO}: {@code convolution_auto} everywhere; oneDNN may pick Winograd for 3x3 stride-1 layers where it
 *       has such a kernel (faster at 32/64 channels on AVX-512, slower backward-data at 16 channels).</li>
 *   <li>{@code AUTO_FORWARD}: {@code convolution_auto} for forward and backward-weights, {@code convolution_direct} for
 *       backward-data, so backward-data can never silently switch to a slow Winograd kernel.</li>
 * </ul>
 */
public enum ConvAlgorithm {
  DIRECT,
  AUTO,
  AUTO_FORWARD
}
