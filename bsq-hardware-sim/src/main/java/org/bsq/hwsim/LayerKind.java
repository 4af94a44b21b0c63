package org.bsq.hwsim;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How a layer maps onto the array. */
public enum LayerKind {
  /** Dense 2-D convolution (groups = 1). */
  @JsonProperty("conv") CONV,
  /** Fully connected (matrix-vector per sample); kernel, stride and spatial sizes are 1. */
  @JsonProperty("fc") FC,
  /** Depthwise convolution: groups = input channels. */
  @JsonProperty("depthwise") DEPTHWISE,
  /** Grouped convolution with 1 &lt; groups &lt; input channels. */
  @JsonProperty("grouped") GROUPED
}
