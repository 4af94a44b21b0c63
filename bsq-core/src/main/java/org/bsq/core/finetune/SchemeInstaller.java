package org.bsq.core.finetune;

import org.bsq.core.engine.ActivationSites;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;

/**
 * Puts a model under a fixed {@link QuantizationScheme}: every layer with quantized weight bits (0..16) gets a
 * {@link FixedPrecisionWeightSource}, starting from its current source's normalized weights when that source has them
 * ({@link NormalizedWeights}, e.g. BSQ's bit planes) and otherwise from its float weights ({@code s = max|W|}); layers at
 * full precision keep (or get back) their float weights. The float weight tensors of quantized layers become
 * non-trainable buffers, so the optimizer neither decays nor moves them.
 *
 * <p>Then the scheme's activation bits are applied through {@link ActivationSites}: every ReLU6-family activation node
 * that feeds a weight layer computes what its layers' activation bits say (0 bits: the graph's spec, 32: ReLU6,
 * 1..16: ReLU6 or PACT with the quantizer); the model's {@code actBits} recorded in every layer leaves the graph as
 * built.
 */
public final class SchemeInstaller {
  private SchemeInstaller() {}

  public static void install(Model model, QuantizationScheme scheme) {
    LayerInventory inventory = LayerInventory.of(model.graph());
    scheme.checkAgainst(inventory);
    ActivationSites sites = ActivationSites.of(model.graph());
    sites.specs(scheme, inventory); // fails on conflicting activation bits before anything changes
    for (LayerInfo l : inventory) {
      LayerPrecision p = scheme.get(l.name());
      String weightName = l.name() + ".weight";
      if (p.weights().isFull()) {
        model.clearWeightSource(l.name());
        Parameter w = model.parameters().get(weightName);
        if (!w.trainable()) {
          model.parameters().replace(new Parameter(weightName, w.shape(), ParameterRole.WEIGHT, w.value()));
        }
        continue;
      }
      WeightSource current = model.weightSource(l.name());
      int[] shape = l.weightShape().stream().mapToInt(Integer::intValue).toArray();
      float[] u;
      float scale;
      if (current instanceof NormalizedWeights n) {
        u = n.normalizedWeights();
        scale = n.weightScale();
      } else {
        float[] w = new float[Math.toIntExact(l.weightCount())];
        current.weights(w);
        float[] s = new float[1];
        u = FixedPrecisionWeightSource.normalize(w, s);
        scale = s[0];
      }
      FixedPrecisionWeightSource.install(model.parameters(), l.name(), shape, u, scale);
      Parameter w = model.parameters().get(weightName);
      if (w.trainable()) {
        model.parameters().replace(new Parameter(weightName, w.shape(), ParameterRole.STRATEGY_BUFFER, w.value()));
      }
      model.setWeightSource(l.name(), new FixedPrecisionWeightSource(model.parameters(), l.name(), p.weightBits()));
    }
    sites.apply(model, scheme, inventory);
  }
}
