package org.bsq.core.bsq;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.Precision;
import org.bsq.core.quant.QuantizationScheme;

/**
 * A model's layers in BSQ bit representation: one {@link BitPlaneWeightSource} per converted layer, bound to the
 * {@link Model}, with BSQ's bookkeeping ({@code TP}, {@code TB}, compression), re-quantization, precision adjustment
 * and per-layer statistics.
 *
 * <p>{@link #install} converts layers as the reference's {@code to_bin()} does ({@link BitMath#decompose}, scale
 * {@code max|W|}); by default every conv and linear layer except projection shortcuts (which BSQ keeps at full
 * precision and does not count). The converted layers' float weight parameters ({@code <layer>.weight}) are replaced
 * by frozen copies ({@link ParameterRole#STRATEGY_BUFFER}: same name, shape and values, not trained, not decayed),
 * because the engine still expects them to exist; {@link #uninstall} turns the current bit representation back into
 * trainable float weights. A linear layer's bias goes into bit planes too (see {@link BitPlaneWeightSource} for how the
 * engine's {@code <layer>.bias} is fed).
 *
 * <p>All state lives in the model's parameter store; this object only knows which layers are converted and their
 * shapes, so it can be rebuilt identically before a checkpoint is restored ({@link #reshapeTo}).
 */
public final class BitRepresentation {
  private final Model model;
  private final LayerInventory inventory;
  private final List<BitPlaneWeightSource> layers;

  private BitRepresentation(Model model, LayerInventory inventory, List<BitPlaneWeightSource> layers) {
    this.model = model;
    this.inventory = inventory;
    this.layers = List.copyOf(layers);
  }

  /** Converts every conv and linear layer except projection shortcuts to {@code bits} bit planes. */
  public static BitRepresentation install(Model model, int bits) {
    LayerInventory inventory = LayerInventory.of(model.graph());
    List<String> names = new ArrayList<>();
    for (LayerInfo l : inventory) {
      if (!l.projectionShortcut()) {
        names.add(l.name());
      }
    }
    return install(model, names, bits);
  }

  /** Converts the named conv and linear layers (in model order) to {@code bits} bit planes. */
  public static BitRepresentation install(Model model, List<String> layerNames, int bits) {
    BitMath.checkBits(bits);
    LayerInventory inventory = LayerInventory.of(model.graph());
    ParameterStore store = model.parameters();
    List<BitPlaneWeightSource> sources = new ArrayList<>();
    for (LayerInfo info : ordered(inventory, layerNames)) {
      String name = info.name();
      if (store.contains(BitPlaneWeightSource.pweightName(name))) {
        throw new IllegalStateException("layer '" + name + "' is already in bit representation");
      }
      BitPlaneWeightSource source = newSource(store, info);
      Parameter weight = store.get(name + ".weight");
      BitPlanes w = BitPlanes.fromFloat(weight.value(), bits);
      BitPlanes b = null;
      if (source.hasBias()) {
        b = BitPlanes.fromFloat(store.get(BitPlaneWeightSource.floatBiasName(name)).value(), bits);
      }
      source.addParameters(w, b);
      store.replace(new Parameter(weight.name(), weight.shape(), ParameterRole.STRATEGY_BUFFER, weight.value().clone()));
      model.setWeightSource(name, source);
      sources.add(source);
    }
    return new BitRepresentation(model, inventory, sources);
  }

  private static List<LayerInfo> ordered(LayerInventory inventory, List<String> layerNames) {
    Set<String> wanted = new LinkedHashSet<>(layerNames);
    if (wanted.size() != layerNames.size()) {
      throw new IllegalArgumentException("layers to convert must be unique, was " + layerNames);
    }
    List<LayerInfo> out = new ArrayList<>();
    for (LayerInfo l : inventory) {
      if (wanted.remove(l.name())) {
        out.add(l);
      }
    }
    if (!wanted.isEmpty()) {
      TreeSet<String> known = new TreeSet<>();
      inventory.forEach(l -> known.add(l.name()));
      throw new IllegalArgumentException("layers to convert must be conv or linear layers of '" + inventory.model()
          + "', was unknown " + wanted + "; known: " + known);
    }
    return out;
  }

  private static BitPlaneWeightSource newSource(ParameterStore store, LayerInfo info) {
    int[] shape = info.weightShape().stream().mapToInt(Integer::intValue).toArray();
    return new BitPlaneWeightSource(store, info.name(), shape, Math.toIntExact(info.biasCount()));
  }

  public Model model() { return model; }

  /** The converted layers in model order. */
  public List<BitPlaneWeightSource> layers() { return layers; }

  /** The converted layer with this name. */
  public BitPlaneWeightSource layer(String name) {
    for (BitPlaneWeightSource s : layers) {
      if (s.layer().equals(name)) {
        return s;
      }
    }
    TreeSet<String> known = new TreeSet<>();
    layers.forEach(s -> known.add(s.layer()));
    throw new IllegalArgumentException("layer '" + name + "' is not in bit representation; converted: " + known);
  }

  private boolean counted(BitPlaneWeightSource s) {
    return !inventory.get(s.layer()).projectionShortcut();
  }

  /** BSQ's {@code TP}: weights plus biases of the converted layers that are not projection shortcuts. */
  public long totalParams() {
    long tp = 0;
    for (BitPlaneWeightSource s : layers) {
      if (counted(s)) {
        tp += s.weightCount() + s.biasCount();
      }
    }
    return tp;
  }

  /** BSQ's {@code TB}: {@code weights * N + biases * bN} over the counted layers. */
  public long totalBits() {
    long tb = 0;
    for (BitPlaneWeightSource s : layers) {
      if (counted(s)) {
        tb += (long) s.weightCount() * s.bits() + (long) s.biasCount() * s.biasBits();
      }
    }
    return tb;
  }

  /** The paper's compression rate {@code 32 * TP / TB}. */
  public double compression() { return 32.0 * totalParams() / totalBits(); }

  /** {@code TB / TP}. */
  public double averageBits() { return (double) totalBits() / totalParams(); }

  /** The reference's {@code get_Nbits()}: layer name to {@code [N, bN or 0]}, in model order. */
  public Map<String, int[]> bitsByLayer() {
    Map<String, int[]> out = new LinkedHashMap<>();
    for (BitPlaneWeightSource s : layers) {
      out.put(s.layer(), new int[] {s.bits(), s.biasBits()});
    }
    return out;
  }

  /**
   * The current scheme: converted layers at their weight bits (an all-zero 1-bit layer as 0 bits, i.e. pruned, as the
   * reference's {@code to_finetune()} decides), every other layer of the model at full precision; activations at
   * {@code activationBits} for converted layers.
   */
  public QuantizationScheme scheme(int activationBits) {
    List<LayerPrecision> out = new ArrayList<>();
    for (LayerInfo l : inventory) {
      BitPlaneWeightSource s = null;
      for (BitPlaneWeightSource c : layers) {
        if (c.layer().equals(l.name())) {
          s = c;
        }
      }
      if (s == null) {
        out.add(LayerPrecision.full(l.name()));
      } else {
        int bits = s.bits();
        if (bits == 1 && s.weightPlanes().allZero()) {
          bits = 0;
        }
        out.add(new LayerPrecision(l.name(), Precision.of(bits, "weight bits for layer '" + l.name() + "'"),
            Precision.of(activationBits, "activation bits for layer '" + l.name() + "'")));
      }
    }
    return new QuantizationScheme(out);
  }

  /** Per-layer precision and non-zero percentages, as the reference prints them. */
  public List<LayerStatistics> statistics() {
    List<LayerStatistics> out = new ArrayList<>();
    for (BitPlaneWeightSource s : layers) {
      BitPlanes w = s.weightPlanes();
      List<Double> bias = List.of();
      if (s.hasBias()) {
        bias = Arrays.stream(s.biasPlanes().nonZeroPercent()).boxed().toList();
      }
      out.add(new LayerStatistics(s.layer(), w.bits(), w.scale(), Arrays.stream(w.nonZeroPercent()).boxed().toList(),
          s.biasBits(), bias));
    }
    return out;
  }

  /**
   * Re-quantizes every converted layer ({@link BitPlanes#requantize}, weights and bias) with the given maximum
   * precision (the reference's training script uses 8).
   *
   * @return the layers whose number of planes changed (their plane parameters were replaced)
   */
  public Set<String> requantize(int maxBits) {
    Set<String> changed = new LinkedHashSet<>();
    for (BitPlaneWeightSource s : layers) {
      boolean c = s.setWeightPlanes(s.weightPlanes().requantize(maxBits));
      if (s.hasBias()) {
        c |= s.setBiasPlanes(s.biasPlanes().requantize(maxBits));
      }
      if (c) {
        changed.add(s.layer());
      }
    }
    return changed;
  }

  /**
   * BSQ's periodic step: {@link #requantize} with {@code maxBits}, then {@link #adjustPrecision} with
   * {@code threshold} and plane dropping.
   *
   * @return the layers whose number of planes changed in either
   */
  public Set<String> requantizeAndAdjust(int maxBits, double threshold) {
    Set<String> changed = new LinkedHashSet<>(requantize(maxBits));
    changed.addAll(adjustPrecision(threshold, true));
    return changed;
  }

  /**
   * Adjusts the precision of every converted layer ({@link BitPlanes#adjustPrecision}, weights and bias
   * independently); BSQ uses {@code threshold = 0, drop = true}.
   *
   * @return the layers whose number of planes changed
   */
  public Set<String> adjustPrecision(double threshold, boolean drop) {
    Set<String> changed = new LinkedHashSet<>();
    for (BitPlaneWeightSource s : layers) {
      boolean c = s.setWeightPlanes(s.weightPlanes().adjustPrecision(threshold, drop, false));
      if (s.hasBias()) {
        c |= s.setBiasPlanes(s.biasPlanes().adjustPrecision(threshold, drop, true));
      }
      if (c) {
        changed.add(s.layer());
      }
    }
    return changed;
  }

  /**
   * Gives the plane parameters the shapes of a checkpoint (values zero until the checkpoint is copied in); layers the
   * checkpoint does not mention keep their shapes.
   */
  public void reshapeTo(Map<String, int[]> checkpointShapes) {
    for (BitPlaneWeightSource s : layers) {
      int[] w = checkpointShapes.get(BitPlaneWeightSource.pweightName(s.layer()));
      int[] b = checkpointShapes.get(BitPlaneWeightSource.pbiasName(s.layer()));
      s.reshape(w == null ? s.bits() : w[w.length - 1], b == null ? s.biasBits() : b[b.length - 1]);
    }
  }

  /**
   * Turns the bit representation back into float weights (the reference's {@code to_float()}): every converted layer's
   * {@code <layer>.weight} (and linear bias) becomes a trainable parameter holding the current forward values
   * {@code bit_STE(sum) * scale}, the plane parameters are removed and the float weight sources are restored.
   */
  public void uninstall() {
    ParameterStore store = model.parameters();
    for (BitPlaneWeightSource s : layers) {
      Parameter weight = store.get(s.layer() + ".weight");
      float[] w = new float[s.weightCount()];
      s.weights(w);
      store.replace(new Parameter(weight.name(), weight.shape(), ParameterRole.WEIGHT, w));
      s.removeParameters();
      model.clearWeightSource(s.layer());
    }
  }
}
