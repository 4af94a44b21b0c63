package org.bsq.core.quant;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;

/**
 * The precision of every weight layer of a model, in model order, without duplicates. Immutable.
 *
 * @param layers the layers in model order (copied)
 *
 * <p>Two size measures are computed against a {@link LayerInventory}:
 * <ul>
 *   <li>the <b>paper metric</b> (BSQ, {@code models/cifar/resnet.py total_param/total_bit}): over the <em>counted</em>
 *   layers, i.e. every conv and linear layer except projection shortcuts ({@link LayerInfo#projectionShortcut()}),
 *   {@code TP = sum(weights + biases)}, {@code TB = sum((weights + biases) * bits)}, average bits {@code TB / TP} and
 *   compression {@code 32 * TP / TB}. A linear layer's bias is counted at the layer's weight bits (BSQ itself tracks
 *   a separate bias precision; see {@code org.bsq.core.bsq.BitRepresentation#totalBits()} for its exact {@code TB});
 *   BN is never counted.</li>
 *   <li>the <b>whole-model size</b>: every conv and linear parameter at its real precision (layers the scheme does not
 *   list, such as full-precision shortcuts, at 32 bits) plus the batch-norm affine parameters at 32 bits. Unless given
 *   explicitly, the BN parameter count is taken as {@code 2 * outChannels} (gamma and beta) for every conv layer of the
 *   inventory, which is exact for the CIFAR ResNets (every conv is followed by one BN); running statistics are
 *   buffers and not counted.</li>
 * </ul>
 */
public record QuantizationScheme(List<LayerPrecision> layers) {
  public QuantizationScheme {
    if (layers == null) {
      throw new IllegalArgumentException("scheme layers must be given, was null");
    }
    Set<String> seen = new HashSet<>();
    for (LayerPrecision l : layers) {
      if (l == null) {
        throw new IllegalArgumentException("scheme layers must not contain null, was " + layers);
      }
      if (!seen.add(l.layer())) {
        throw new IllegalArgumentException("scheme layer names must be unique, was '" + l.layer() + "' twice");
      }
    }
    layers = List.copyOf(layers);
  }

  public static QuantizationScheme of(LayerPrecision... layers) {
    return new QuantizationScheme(List.of(layers));
  }

  /**
   * Every counted layer of {@code inventory} at {@code weightBits} and {@code activationBits}; projection shortcuts at
   * full precision.
   */
  public static QuantizationScheme uniform(LayerInventory inventory, int weightBits, int activationBits) {
    List<LayerPrecision> out = new ArrayList<>();
    for (LayerInfo l : inventory) {
      out.add(l.projectionShortcut() ? LayerPrecision.full(l.name())
          : LayerPrecision.of(l.name(), weightBits, activationBits));
    }
    return new QuantizationScheme(out);
  }

  public int size() { return layers.size(); }

  public Optional<LayerPrecision> find(String layer) {
    for (LayerPrecision l : layers) {
      if (l.layer().equals(layer)) {
        return Optional.of(l);
      }
    }
    return Optional.empty();
  }

  /** The precision of a layer; the error lists the known names. */
  public LayerPrecision get(String layer) {
    return find(layer).orElseThrow(() -> {
      TreeSet<String> known = new TreeSet<>();
      layers.forEach(l -> known.add(l.layer()));
      return new IllegalArgumentException("unknown layer '" + layer + "' in scheme; known: " + known);
    });
  }

  /** Checks that every scheme layer exists in the inventory and every counted layer is in the scheme. */
  public void checkAgainst(LayerInventory inventory) {
    Set<String> names = new HashSet<>();
    for (LayerInfo l : inventory) {
      names.add(l.name());
    }
    for (LayerPrecision l : layers) {
      if (!names.contains(l.layer())) {
        throw new IllegalArgumentException("scheme layer '" + l.layer() + "' must be a layer of model '"
            + inventory.model() + "', was unknown; known: " + new TreeSet<>(names));
      }
    }
    for (LayerInfo l : inventory) {
      if (!l.projectionShortcut() && find(l.name()).isEmpty()) {
        throw new IllegalArgumentException("scheme must give a precision for counted layer '" + l.name()
            + "' of model '" + inventory.model() + "', was missing");
      }
    }
  }

  /** BSQ's {@code TP}: weights plus biases over the counted layers (every layer except projection shortcuts). */
  public static long countedParams(LayerInventory inventory) {
    long tp = 0;
    for (LayerInfo l : inventory) {
      if (!l.projectionShortcut()) {
        tp += l.paramCount();
      }
    }
    return tp;
  }

  /** BSQ's {@code TB}: over the counted layers, (weights + biases) times the layer's weight bits. */
  public long countedBits(LayerInventory inventory) {
    checkAgainst(inventory);
    long tb = 0;
    for (LayerInfo l : inventory) {
      if (!l.projectionShortcut()) {
        tb += l.paramCount() * get(l.name()).weights().storageBits();
      }
    }
    return tb;
  }

  /** Average bits per counted parameter, {@code TB / TP}. */
  public double averageBits(LayerInventory inventory) {
    return (double) countedBits(inventory) / countedParams(inventory);
  }

  /** The paper's compression rate {@code 32 * TP / TB} (infinite when every counted layer is pruned). */
  public double compression(LayerInventory inventory) {
    long tb = countedBits(inventory);
    return tb == 0 ? Double.POSITIVE_INFINITY : 32.0 * countedParams(inventory) / tb;
  }

  /** Default BN parameter count: gamma and beta for the output channels of every conv layer. */
  public static long defaultBatchNormParams(LayerInventory inventory) {
    long n = 0;
    for (LayerInfo l : inventory) {
      if (l.kind() == LayerInfo.Kind.CONV) {
        n += 2L * l.weightShape().get(0);
      }
    }
    return n;
  }

  /** Whole-model size in bits with {@link #defaultBatchNormParams} BN parameters at 32 bits. */
  public long wholeModelBits(LayerInventory inventory) {
    return wholeModelBits(inventory, defaultBatchNormParams(inventory));
  }

  /**
   * Whole-model size in bits: every layer's weights and biases at the scheme's precision (32 for layers the scheme does
   * not list), plus {@code batchNormParams} values at 32 bits.
   */
  public long wholeModelBits(LayerInventory inventory, long batchNormParams) {
    if (batchNormParams < 0) {
      throw new IllegalArgumentException("batch-norm parameter count must be >= 0, was " + batchNormParams);
    }
    checkAgainst(inventory);
    long bits = batchNormParams * Precision.FULL_BITS;
    for (LayerInfo l : inventory) {
      int b = find(l.name()).map(p -> p.weights().storageBits()).orElse(Precision.FULL_BITS);
      bits += l.paramCount() * b;
    }
    return bits;
  }

  /** Whole-model compression against float32, with {@link #defaultBatchNormParams} BN parameters. */
  public double wholeModelCompression(LayerInventory inventory) {
    return wholeModelCompression(inventory, defaultBatchNormParams(inventory));
  }

  /** {@code 32 * (all layer parameters + BN parameters) / wholeModelBits}. */
  public double wholeModelCompression(LayerInventory inventory, long batchNormParams) {
    long bits = wholeModelBits(inventory, batchNormParams);
    return 32.0 * (inventory.totalParams() + batchNormParams) / bits;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("QuantizationScheme[");
    for (int i = 0; i < layers.size(); i++) {
      LayerPrecision l = layers.get(i);
      sb.append(i == 0 ? "" : ", ").append(l.layer()).append('=').append(l.weights()).append('/').append(l.activations());
    }
    return sb.append(']').toString();
  }
}
