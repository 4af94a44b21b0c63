package org.bsq.core.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.graph.Op;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.Precision;
import org.bsq.core.quant.QuantizationScheme;

/**
 * Where the activation bits of a {@link QuantizationScheme} take effect in a graph. Immutable.
 *
 * <p>The <b>site</b> of a weight layer (conv or linear) is the activation node that directly produces the layer's
 * input, when that node's graph spec is of the ReLU6 family (ReLU6, ReLU6 + quantizer, PACT): only those nodes can
 * change their function at run time ({@link Model#setActivationSpec}). A layer has no site when its input is not an
 * activation (the stem conv reads the image, the classifier reads the pooled features) or is a plain ReLU (the CIFAR
 * ResNets' {@code layer1.0.conv1} reads the stem's ReLU); such layers' activation bits cannot take effect and are
 * listed by {@link #layersWithoutSite()}.
 *
 * <p>{@link #apply} sets the spec of every site from the activation bits of the <em>counted</em> layers it feeds
 * (projection shortcuts, {@link LayerInfo#projectionShortcut()}, follow the other layers fed by the same node and
 * their bits are not read):
 * <ul>
 *   <li>1..16 bits: {@link ActivationSpec#quantized(int)}, i.e. ReLU6 + the k-bit quantizer above 3 bits, PACT + the
 *   quantizer at 3 bits or fewer;</li>
 *   <li>32 bits (full precision, not quantized): unquantized ReLU6 ({@link ActivationSpec#relu6()});</li>
 *   <li>0 bits: the node keeps its <b>graph</b> spec (what the model was built with, e.g. {@code model.actBits}).
 *   The {@code uniform} and {@code scheme} strategies record 0 activation bits by default, so their runs compute
 *   exactly what the graph says; BSQ's schemes record the model's {@code actBits} for every layer, which gives the
 *   graph's spec again. Either way a scheme that does not ask for other activation bits leaves every node as the
 *   graph built it (bit-identical training and evaluation).</li>
 * </ul>
 * A site that feeds only projection shortcuts also keeps its graph spec. Two counted layers fed by the same node with
 * different activation bits are an error naming both layers and both bit counts (one tensor has one precision).
 * Activation nodes that are no site (e.g. the last block's output, read by the pooling) are left as they are.
 */
public final class ActivationSites {
  private final String model;
  /** Every weight layer in inventory order, with its site (null: none). */
  private final Map<String, String> siteByLayer;
  /** Every site with its graph spec, in order of the first layer it feeds. */
  private final Map<String, ActivationSpec> graphSpecs;

  private ActivationSites(String model, Map<String, String> siteByLayer, Map<String, ActivationSpec> graphSpecs) {
    this.model = model;
    this.siteByLayer = siteByLayer;
    this.graphSpecs = graphSpecs;
  }

  /** The sites of every conv and linear layer of {@code graph}. */
  public static ActivationSites of(Graph graph) {
    Map<String, String> siteByLayer = new LinkedHashMap<>();
    Map<String, ActivationSpec> graphSpecs = new LinkedHashMap<>();
    for (LayerInfo l : LayerInventory.of(graph)) {
      int input = inputOf(graph, l.name());
      String site = null;
      if (graph.op(input) instanceof Op.Activation a && a.spec().kind() != ActivationSpec.Kind.RELU) {
        site = a.name();
        graphSpecs.putIfAbsent(site, a.spec());
      }
      siteByLayer.put(l.name(), site);
    }
    return new ActivationSites(graph.name(), siteByLayer, graphSpecs);
  }

  private static int inputOf(Graph graph, String layer) {
    for (Op op : graph.ops()) {
      if (op instanceof Op.Conv2d c && c.name().equals(layer)) {
        return c.input();
      }
      if (op instanceof Op.Linear l && l.name().equals(layer)) {
        return l.input();
      }
    }
    throw new IllegalStateException("weight layer '" + layer + "' must be in graph '" + graph.name() + "', was not");
  }

  /** The activation node whose spec the layer's activation bits decide; empty when the layer has none. */
  public Optional<String> siteOf(String layer) {
    if (!siteByLayer.containsKey(layer)) {
      throw new IllegalArgumentException("unknown layer '" + layer + "' in " + model + "; known: "
          + new TreeSet<>(siteByLayer.keySet()));
    }
    return Optional.ofNullable(siteByLayer.get(layer));
  }

  /** The weight layers without a site, in model order: their activation bits cannot take effect. */
  public List<String> layersWithoutSite() {
    List<String> out = new ArrayList<>();
    siteByLayer.forEach((layer, site) -> {
      if (site == null) {
        out.add(layer);
      }
    });
    return List.copyOf(out);
  }

  /** The site nodes, in order of the first layer each feeds. */
  public List<String> sites() { return List.copyOf(graphSpecs.keySet()); }

  /**
   * Sets the spec of every site of {@code model} from the activation bits of {@code scheme} (rules in the class
   * comment). Nodes that are no site keep whatever spec they have.
   *
   * @throws IllegalArgumentException when the scheme does not fit the inventory, or when counted layers that share a
   *     site ask for different activation bits (naming both layers and both bit counts)
   */
  public void apply(Model model, QuantizationScheme scheme, LayerInventory inventory) {
    specs(scheme, inventory).forEach(model::setActivationSpec);
  }

  /**
   * What {@link #apply} sets: every site with the spec the scheme gives it (its graph spec where the scheme keeps
   * it), in the order of {@link #sites()}.
   *
   * @throws IllegalArgumentException as {@link #apply}
   */
  public Map<String, ActivationSpec> specs(QuantizationScheme scheme, LayerInventory inventory) {
    scheme.checkAgainst(inventory);
    Map<String, ActivationSpec> specs = new LinkedHashMap<>();
    for (Map.Entry<String, ActivationSpec> site : graphSpecs.entrySet()) {
      LayerPrecision decided = null;
      for (LayerInfo l : inventory) {
        if (l.projectionShortcut() || !site.getKey().equals(siteByLayer.get(l.name()))) {
          continue;
        }
        LayerPrecision p = scheme.get(l.name());
        if (decided == null) {
          decided = p;
        } else if (decided.activationBits() != p.activationBits()) {
          throw new IllegalArgumentException("layers '" + decided.layer() + "' and '" + p.layer()
              + "' read the same activation node '" + site.getKey() + "' and must have the same activation bits, were "
              + decided.activationBits() + " and " + p.activationBits());
        }
      }
      specs.put(site.getKey(), decided == null ? site.getValue() : specFor(decided.activationBits(), site.getValue()));
    }
    return Collections.unmodifiableMap(specs);
  }

  /** The spec a site computes for {@code bits} activation bits, given its graph spec (0: the graph's). */
  static ActivationSpec specFor(int bits, ActivationSpec graphSpec) {
    if (bits == 0) {
      return graphSpec;
    }
    if (bits == Precision.FULL_BITS) {
      return ActivationSpec.relu6();
    }
    return ActivationSpec.quantized(bits);
  }

  @Override
  public String toString() {
    return "ActivationSites[" + model + ": " + siteByLayer + "]";
  }
}
