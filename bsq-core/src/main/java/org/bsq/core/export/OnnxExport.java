package org.bsq.core.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.Op;
import org.bsq.core.graph.Shape;
import org.bsq.core.json.Json;
import org.bsq.core.quant.LayerPrecision;

/**
 * Writes a {@link QuantizedNetwork} as an ONNX model (opset {@value #OPSET}, IR version {@value #IR_VERSION}) with
 * standard operators only (decision 0016):
 *
 * <ul>
 *   <li><b>Quantized weights</b> (1..16 bits): an integer initializer of the levels {@code k} with a
 *   {@code DequantizeLinear} of per-tensor scale {@code s / (2^N - 1)} and zero point 0 in front of the
 *   {@code Conv}/{@code Gemm}: {@code int8} for N <= 7 (sign and N magnitude bits fit in [-127, 127]), {@code int32}
 *   for N >= 8 (the other integer type opset 13's {@code DequantizeLinear} takes; 8-bit BSQ levels reach +-255).
 *   Pruned layers (0 bits) are all-zero {@code int8} levels with scale 1. Full-precision layers (projection
 *   shortcuts) are float initializers. The bits are in {@code metadata_props} ({@code bsq.weight_bits}).</li>
 *   <li><b>Activation quantizers</b>: the engine's quantizer (docs/algorithm.md section 4) has a dynamic scale,
 *   {@code S = max|y|} over the whole batch tensor, and computes {@code S * (rint(y * step / S) / step)} in float32.
 *   A {@code QuantizeLinear}/{@code DequantizeLinear} pair computes {@code rint(y / (S/step)) * (S/step)}, which
 *   rounds differently at level boundaries, so the export writes the exact composition instead:
 *   {@code ReduceMax} (all axes, batch included), {@code Equal}/{@code Where} (S = 0 gives 0, as the engine),
 *   {@code Mul}, {@code Div}, {@code Round} (half to even, as {@code Math.rint}), {@code Div}, {@code Mul}, after
 *   {@code Clip(0, 6)} (ReLU6) or {@code Relu} + {@code Min(alpha)} (PACT). Like the engine, the exported model's
 *   outputs depend on the batch it is run on (docs/algorithm.md section 12.11).</li>
 *   <li>Batch norm stays {@code BatchNormalization} (inference form, running statistics), not folded into the
 *   weights, which would destroy the integer levels; the residual add is {@code Add}, pooling
 *   {@code GlobalAveragePool}, the classifier {@code Flatten} + {@code Gemm} with its float bias.</li>
 * </ul>
 *
 * <p>The input {@code input} is the normalized {@code [N, C, H, W]} float32 batch the engine reads (the data set's
 * loader normalizes); the output {@code logits} is {@code [N, classes]}.
 */
public final class OnnxExport {
  /** The ONNX operator set the files import (per-axis QDQ and {@code Clip} with tensor bounds need at least 13). */
  public static final int OPSET = 13;
  /** The ONNX IR version that goes with opset 13. */
  public static final int IR_VERSION = 7;
  /** Producer name written into every file. */
  public static final String PRODUCER = "bsq-java";
  /** Format version of the {@code bsq.*} metadata keys. */
  public static final String METADATA_VERSION = "1";
  /** Largest weight bits whose levels fit int8 ([-127, 127]). */
  public static final int MAX_INT8_BITS = 7;

  // TensorProto.DataType
  static final int FLOAT = 1;
  static final int INT8 = 3;
  static final int INT32 = 6;
  // AttributeProto.AttributeType
  private static final int ATTR_FLOAT = 1;
  private static final int ATTR_INT = 2;
  private static final int ATTR_INTS = 7;

  private OnnxExport() {}

  /**
   * What to write besides the network.
   *
   * @param int8Weights require every quantized layer's levels to be int8 (at most {@value #MAX_INT8_BITS} bits), for
   *     runtimes that take int8 weights only; a layer with more bits is an error naming it
   * @param producerVersion the producer version written into the file (e.g. the bsq version)
   * @param metadata extra {@code metadata_props} entries (e.g. the run's strategy and configuration hash)
   */
  public record Options(boolean int8Weights, String producerVersion, Map<String, String> metadata) {
    public Options {
      producerVersion = producerVersion == null ? "unknown" : producerVersion;
      metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    public static Options defaults() { return new Options(false, null, Map.of()); }
  }

  /** Writes the model to {@code file} (through a temporary file in the same folder, then a move). */
  public static void write(QuantizedNetwork net, Options options, Path file) {
    byte[] bytes = toBytes(net, options);
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = parent.resolve(file.getFileName() + ".tmp");
      Files.write(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write ONNX model " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The serialized ONNX model.
   *
   * @throws IllegalArgumentException when {@code options.int8Weights()} and some layers have more than
   *     {@value #MAX_INT8_BITS} bits (all of them named)
   */
  public static byte[] toBytes(QuantizedNetwork net, Options options) {
    if (options.int8Weights()) {
      List<String> wide = new ArrayList<>();
      for (LayerWeights w : net.layers().values()) {
        if (!w.isFull() && w.bits() > MAX_INT8_BITS) {
          wide.add("'" + w.name() + "' (" + w.bits() + " bits, levels up to +-" + w.step() + ")");
        }
      }
      if (!wide.isEmpty()) {
        throw new IllegalArgumentException("int8 weights hold at most " + MAX_INT8_BITS + " bits (sign and magnitude "
            + "levels in [-127, 127]), were more in layers " + String.join(", ", wide)
            + "; without the int8 requirement such layers are stored as int32 levels");
      }
    }
    GraphWriter g = new GraphWriter(net);
    g.build();
    ProtoWriter model = new ProtoWriter()
        .varint(1, IR_VERSION)
        .string(2, PRODUCER)
        .string(3, options.producerVersion())
        .string(4, "org.bsq")
        .varint(5, 1)
        .string(6, "bsq-java quantized " + net.graph().name() + ": weights as integer levels with per-layer "
            + "DequantizeLinear scales, activation quantizers as exact Mul/Div/Round compositions (metadata bsq.*)")
        .message(7, g.graph)
        .message(8, new ProtoWriter().string(1, "").varint(2, OPSET));
    for (Map.Entry<String, String> e : metadata(net, options).entrySet()) {
      model.message(14, new ProtoWriter().string(1, e.getKey()).string(2, e.getValue()));
    }
    return model.toByteArray();
  }

  /** The {@code metadata_props} written: the network's description first, then the caller's entries. */
  public static Map<String, String> metadata(QuantizedNetwork net, Options options) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("bsq.format_version", METADATA_VERSION);
    m.put("bsq.model", net.graph().name());
    Map<String, Integer> weightBits = new LinkedHashMap<>();
    Map<String, String> weightTypes = new LinkedHashMap<>();
    for (LayerWeights w : net.layers().values()) {
      weightBits.put(w.name(), w.bits());
      weightTypes.put(w.name(), w.isFull() ? "float32" : levelType(w) == INT8 ? "int8" : "int32");
    }
    m.put("bsq.weight_bits", Json.line(weightBits));
    m.put("bsq.weight_storage", Json.line(weightTypes));
    List<Map<String, Object>> schemeLayers = new ArrayList<>();
    for (LayerPrecision p : net.scheme().layers()) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("name", p.layer());
      l.put("weightBits", p.weightBits());
      l.put("activationBits", p.activationBits());
      schemeLayers.add(l);
    }
    m.put("bsq.scheme", Json.line(Map.of("layers", schemeLayers)));
    List<Map<String, Object>> acts = new ArrayList<>();
    for (Map.Entry<String, ActivationSpec> e : net.activations().entrySet()) {
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("node", e.getKey());
      a.put("kind", e.getValue().kind().name().toLowerCase());
      a.put("bits", e.getValue().bits());
      if (e.getValue().hasAlpha()) {
        a.put("alpha", net.alpha(e.getKey()));
      }
      acts.add(a);
    }
    m.put("bsq.activations", Json.line(acts));
    m.put("bsq.weight_encoding", "a layer at N bits (1..16) stores levels k in [-(2^N-1), 2^N-1] (sign and N-bit "
        + "magnitude) as int8 for N <= 7 and int32 for N >= 8; weight = k * scale, scale = s / (2^N-1) with the "
        + "layer scale s (DequantizeLinear, zero point 0); 0 bits: pruned, all-zero levels; 32: float32");
    m.put("bsq.activation_encoding", "relu6_quant and pact_quant: y = S * (Round(x * step / S) / step) with "
        + "step = 2^bits - 1 and S = max(x) over the whole batch tensor (dynamic, batch dependent), after Clip(0, 6) "
        + "or Relu + Min(alpha); written as ReduceMax/Where/Mul/Div/Round/Div/Mul because a QuantizeLinear/"
        + "DequantizeLinear pair rounds x / (S / step) and differs at level boundaries");
    m.put("bsq.input", "input: [N, C, H, W] float32 images normalized as the data set's loader does; output "
        + "logits: [N, classes]");
    m.putAll(options.metadata());
    return m;
  }

  static int levelType(LayerWeights w) {
    return w.bits() <= MAX_INT8_BITS ? INT8 : INT32;
  }

  /** Builds the GraphProto. */
  private static final class GraphWriter {
    private final QuantizedNetwork net;
    private final List<ProtoWriter> nodes = new ArrayList<>();
    private final List<ProtoWriter> initializers = new ArrayList<>();
    private final java.util.Set<String> initializerNames = new java.util.HashSet<>();
    private final String[] outputs;
    ProtoWriter graph;

    GraphWriter(QuantizedNetwork net) {
      this.net = net;
      this.outputs = new String[net.graph().size()];
    }

    void build() {
      Graph gr = net.graph();
      for (int i = 0; i < gr.size(); i++) {
        Op op = gr.op(i);
        boolean last = i == gr.outputNode();
        if (op instanceof Op.Input) {
          outputs[i] = "input";
        } else if (op instanceof Op.Conv2d c) {
          outputs[i] = conv(c);
        } else if (op instanceof Op.BatchNorm b) {
          outputs[i] = batchNorm(b);
        } else if (op instanceof Op.Activation a) {
          outputs[i] = activation(a);
        } else if (op instanceof Op.Add a) {
          outputs[i] = node("Add", "add." + i, List.of(outputs[a.left()], outputs[a.right()]), "add." + i);
        } else if (op instanceof Op.GlobalAvgPool p) {
          outputs[i] = node("GlobalAveragePool", "pool." + i, List.of(outputs[p.input()]), "pool." + i);
        } else if (op instanceof Op.Linear l) {
          outputs[i] = linear(l, last ? "logits" : l.name());
        } else {
          throw new IllegalArgumentException("graph op " + i + " of '" + gr.name() + "' must be one the export "
              + "knows (input, conv, batch norm, activation, add, global average pool, linear), was " + op);
        }
        if (last && !outputs[i].equals("logits")) {
          outputs[i] = node("Identity", "logits", List.of(outputs[i]), "logits");
        }
      }
      Shape in = gr.inputShape();
      ProtoWriter g = new ProtoWriter();
      nodes.forEach(n -> g.message(1, n));
      g.string(2, gr.name());
      initializers.forEach(t -> g.message(5, t));
      g.message(11, valueInfo("input", new Object[] {"N", in.channels(), in.height(), in.width()}));
      g.message(12, valueInfo("logits", new Object[] {"N", gr.numClasses()}));
      graph = g;
    }

    private String conv(Op.Conv2d c) {
      String w = weight(c.name());
      ProtoWriter n = nodeProto("Conv", c.name(), List.of(outputs[c.input()], w), c.name());
      n.message(5, ints("kernel_shape", c.kernel(), c.kernel()));
      n.message(5, ints("strides", c.stride(), c.stride()));
      n.message(5, ints("pads", c.padding(), c.padding(), c.padding(), c.padding()));
      nodes.add(n);
      return c.name();
    }

    private String batchNorm(Op.BatchNorm b) {
      List<String> in = new ArrayList<>(List.of(outputs[b.input()]));
      for (String suffix : List.of(".weight", ".bias", ".running_mean", ".running_var")) {
        in.add(floatInitializer(b.name() + suffix, net.tensorShape(b.name() + suffix), net.tensor(b.name() + suffix)));
      }
      ProtoWriter n = nodeProto("BatchNormalization", b.name(), in, b.name());
      n.message(5, new ProtoWriter().string(1, "epsilon").varint(20, ATTR_FLOAT).float32(2, b.eps()));
      nodes.add(n);
      return b.name();
    }

    private String activation(Op.Activation a) {
      ActivationSpec spec = net.activations().get(a.name());
      String x = outputs[a.input()];
      String name = a.name();
      return switch (spec.kind()) {
        case RELU -> node("Relu", name, List.of(x), name);
        case RELU6 -> node("Clip", name, List.of(x, scalar(0f), scalar(6f)), name);
        case RELU6_QUANT -> quantizer(name, node("Clip", name + "/relu6", List.of(x, scalar(0f), scalar(6f)),
            name + "/relu6"), spec.bits());
        case PACT_QUANT -> {
          String relu = node("Relu", name + "/relu", List.of(x), name + "/relu");
          String alpha = floatInitializer(name + ".alpha", new int[0], new float[] {net.alpha(name)});
          String clipped = node("Min", name + "/pact_clip", List.of(relu, alpha), name + "/pact_clip");
          yield quantizer(name, clipped, spec.bits());
        }
      };
    }

    /** {@code S = max(y)}; {@code out = S' * (Round(y * step / S') / step)} with {@code S' = S == 0 ? 1 : S}. */
    private String quantizer(String name, String y, int bits) {
      String step = scalar((float) ((1 << bits) - 1));
      String p = name + "/quant";
      ProtoWriter max = nodeProto("ReduceMax", p + "/max", List.of(y), p + "/max");
      max.message(5, new ProtoWriter().string(1, "keepdims").varint(20, ATTR_INT).varint(3, 1));
      nodes.add(max);
      String isZero = node("Equal", p + "/max_is_zero", List.of(p + "/max", scalar(0f)), p + "/max_is_zero");
      String s = node("Where", p + "/scale", List.of(isZero, scalar(1f), p + "/max"), p + "/scale");
      String scaled = node("Mul", p + "/times_step", List.of(y, step), p + "/times_step");
      String normalized = node("Div", p + "/over_scale", List.of(scaled, s), p + "/over_scale");
      String level = node("Round", p + "/level", List.of(normalized), p + "/level");
      String fraction = node("Div", p + "/fraction", List.of(level, step), p + "/fraction");
      return node("Mul", name, List.of(s, fraction), name);
    }

    private String linear(Op.Linear l, String out) {
      String flat = node("Flatten", l.name() + "/flatten", List.of(outputs[l.input()]), l.name() + "/flatten");
      String w = weight(l.name());
      String b = floatInitializer(l.name() + ".bias", net.tensorShape(l.name() + ".bias"), net.tensor(l.name() + ".bias"));
      ProtoWriter n = nodeProto("Gemm", l.name(), List.of(flat, w, b), out);
      n.message(5, new ProtoWriter().string(1, "transB").varint(20, ATTR_INT).varint(3, 1));
      nodes.add(n);
      return out;
    }

    /** The float weight tensor of a layer: a float initializer, or a DequantizeLinear of its integer levels. */
    private String weight(String layer) {
      LayerWeights w = net.layer(layer);
      if (w.isFull()) {
        return floatInitializer(layer + ".weight", w.shape(), w.floats());
      }
      int[] k = w.levels();
      float scale;
      if (w.isPruned() || w.scale() == 0f) {
        java.util.Arrays.fill(k, 0);
        scale = 1f;
      } else {
        scale = w.scale() / (float) w.step();
        if (scale < 0f) { // k * scale == (-k) * (-scale) exactly; a positive scale is what consumers expect
          for (int i = 0; i < k.length; i++) {
            k[i] = -k[i];
          }
          scale = -scale;
        }
      }
      int type = levelType(w);
      String levels = intInitializer(layer + ".weight_quantized", w.shape(), k, type);
      String scaleName = floatInitializer(layer + ".weight_scale", new int[0], new float[] {scale});
      String zero = intInitializer(layer + ".weight_zero_point", new int[0], new int[] {0}, type);
      ProtoWriter n = nodeProto("DequantizeLinear", layer + ".weight_dequantize", List.of(levels, scaleName, zero),
          layer + ".weight");
      n.string(6, w.bits() + "-bit weights: levels in [-" + w.step() + ", " + w.step() + "]"
          + (w.isPruned() ? " (pruned layer: all zero)" : ""));
      nodes.add(n);
      return layer + ".weight";
    }

    private String node(String opType, String name, List<String> inputs, String output) {
      nodes.add(nodeProto(opType, name, inputs, output));
      return output;
    }

    private static ProtoWriter nodeProto(String opType, String name, List<String> inputs, String output) {
      ProtoWriter n = new ProtoWriter();
      inputs.forEach(i -> n.string(1, i));
      n.string(2, output);
      n.string(3, name);
      n.string(4, opType);
      return n;
    }

    private static ProtoWriter ints(String name, long... values) {
      return new ProtoWriter().string(1, name).varint(20, ATTR_INTS).repeatedVarints(8, values);
    }

    /** A shared float32 scalar constant. */
    private String scalar(float value) {
      String name = "bsq.const." + Float.toString(value);
      return initializerNames.contains(name) ? name : floatInitializer(name, new int[0], new float[] {value});
    }

    private String floatInitializer(String name, int[] shape, float[] values) {
      ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
      for (float v : values) {
        b.putFloat(v);
      }
      return initializer(name, shape, FLOAT, b.array());
    }

    private String intInitializer(String name, int[] shape, int[] values, int type) {
      ByteBuffer b = ByteBuffer.allocate((type == INT8 ? 1 : 4) * values.length).order(ByteOrder.LITTLE_ENDIAN);
      for (int v : values) {
        if (type == INT8) {
          b.put((byte) v);
        } else {
          b.putInt(v);
        }
      }
      return initializer(name, shape, type, b.array());
    }

    private String initializer(String name, int[] shape, int type, byte[] raw) {
      if (!initializerNames.add(name)) {
        throw new IllegalStateException("initializer '" + name + "' must be written once, was twice");
      }
      long[] dims = java.util.Arrays.stream(shape).asLongStream().toArray();
      initializers.add(new ProtoWriter().repeatedVarints(1, dims).varint(2, type).string(8, name).bytes(9, raw));
      return name;
    }

    private static ProtoWriter valueInfo(String name, Object[] dims) {
      ProtoWriter shape = new ProtoWriter();
      for (Object d : dims) {
        ProtoWriter dim = new ProtoWriter();
        if (d instanceof String s) {
          dim.string(2, s);
        } else {
          dim.varint(1, ((Integer) d).longValue());
        }
        shape.message(1, dim);
      }
      ProtoWriter tensor = new ProtoWriter().varint(1, FLOAT).message(2, shape);
      ProtoWriter type = new ProtoWriter().message(1, tensor);
      return new ProtoWriter().string(1, name).message(2, type);
    }
  }
}
