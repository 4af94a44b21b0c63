package org.bsq.core.export;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.json.Json;
import org.bsq.core.provenance.Digests;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;

/**
 * The raw export of a {@link QuantizedNetwork} (decision 0016): a folder with {@code manifest.json} and one
 * little-endian file per tensor. A quantized layer's file holds its integer levels in the narrowest of {@code int8}
 * (at most 7 bits), {@code int16} (8..15) and {@code int32} (16); the manifest gives per layer the bits, the layer
 * scale {@code s} (also as its float32 bits, {@code scaleBits}, so it reads back exactly) and
 * {@code dequantScale = s / (2^bits - 1)} (the engine computes the weight as
 * {@code float(k / (2^bits - 1)) * s}); full-precision layers, batch-norm tensors, linear biases and PACT clip levels
 * are float32 files. Every activation node is listed with what it computes. Each file has its sha-256 in the
 * manifest. {@link #read} reads a folder back and checks it against a graph.
 */
public final class RawExport {
  /** The manifest's file name. */
  public static final String MANIFEST = "manifest.json";
  /** The manifest's {@code format}. */
  public static final String FORMAT = "bsq-quantized-raw";
  /** The manifest's {@code formatVersion}. */
  public static final int FORMAT_VERSION = 1;

  private RawExport() {}

  /** The integer type a layer's levels are stored in. */
  public static String levelType(int bits) {
    return bits <= 7 ? "int8" : bits <= 15 ? "int16" : "int32";
  }

  private static int width(String dtype) {
    return switch (dtype) {
      case "int8" -> 1;
      case "int16" -> 2;
      case "int32", "float32" -> 4;
      default -> throw new IllegalArgumentException("dtype must be int8, int16, int32 or float32, was '" + dtype + "'");
    };
  }

  /**
   * Writes the network into {@code dir} (created when missing; a non-empty folder without a manifest of this format is
   * refused, so nothing else is overwritten).
   *
   * @param metadata extra entries for the manifest's {@code metadata} object (e.g. the run's strategy)
   */
  public static void write(QuantizedNetwork net, Path dir, Map<String, String> metadata) {
    try {
      if (Files.isDirectory(dir)) {
        try (var s = Files.list(dir)) {
          if (s.findAny().isPresent() && !Files.isRegularFile(dir.resolve(MANIFEST))) {
            throw new IllegalArgumentException("raw export folder must be empty or an earlier raw export, was '"
                + dir + "' (not empty, no " + MANIFEST + ")");
          }
        }
      } else if (Files.exists(dir)) {
        throw new IllegalArgumentException("raw export folder must be a folder, was the file '" + dir + "'");
      }
      Files.createDirectories(dir);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("format", FORMAT);
      m.put("formatVersion", FORMAT_VERSION);
      m.put("model", net.graph().name());
      m.put("input", List.of(net.graph().inputShape().channels(), net.graph().inputShape().height(),
          net.graph().inputShape().width()));
      m.put("classes", net.graph().numClasses());
      List<Map<String, Object>> scheme = new ArrayList<>();
      for (LayerPrecision p : net.scheme().layers()) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("name", p.layer());
        l.put("weightBits", p.weightBits());
        l.put("activationBits", p.activationBits());
        scheme.add(l);
      }
      m.put("scheme", Map.of("layers", scheme));
      LayerInventory inventory = LayerInventory.of(net.graph());
      List<Map<String, Object>> layers = new ArrayList<>();
      for (LayerWeights w : net.layers().values()) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("name", w.name());
        l.put("kind", inventory.get(w.name()).kind() == LayerInfo.Kind.CONV ? "conv" : "linear");
        l.put("bits", w.bits());
        l.put("shape", w.shape());
        if (w.isFull()) {
          String file = w.name() + ".weight.f32";
          l.put("dtype", "float32");
          l.put("file", file);
          l.put("sha256", writeFile(dir.resolve(file), floatBytes(w.floats())));
        } else {
          String dtype = levelType(w.bits());
          String file = w.name() + ".levels." + dtype;
          l.put("dtype", dtype);
          l.put("file", file);
          l.put("step", w.step());
          l.put("scale", w.scale());
          l.put("scaleBits", Float.floatToRawIntBits(w.scale()));
          l.put("dequantScale", w.isPruned() ? 0f : w.scale() / (float) w.step());
          l.put("sha256", writeFile(dir.resolve(file), intBytes(w.levels(), dtype)));
        }
        layers.add(l);
      }
      m.put("layers", layers);
      List<Map<String, Object>> acts = new ArrayList<>();
      for (Map.Entry<String, ActivationSpec> e : net.activations().entrySet()) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("node", e.getKey());
        a.put("kind", e.getValue().kind().name().toLowerCase());
        a.put("bits", e.getValue().bits());
        acts.add(a);
      }
      m.put("activations", acts);
      List<Map<String, Object>> tensors = new ArrayList<>();
      for (String name : net.tensorNames()) {
        Map<String, Object> t = new LinkedHashMap<>();
        String file = name + ".f32";
        t.put("name", name);
        t.put("shape", net.tensorShape(name));
        t.put("dtype", "float32");
        t.put("file", file);
        t.put("sha256", writeFile(dir.resolve(file), floatBytes(net.tensor(name))));
        tensors.add(t);
      }
      m.put("tensors", tensors);
      m.put("metadata", new LinkedHashMap<>(metadata == null ? Map.of() : metadata));
      Json.writeFile(dir.resolve(MANIFEST), m);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write raw export " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a raw export back and checks it against {@code graph} (the model it was exported from: same layers,
   * shapes and tensors) and against the files' sizes and sha-256 digests.
   *
   * @throws IllegalArgumentException naming the file, field or layer that does not fit
   */
  public static QuantizedNetwork read(Path dir, Graph graph) {
    Path manifest = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(manifest)) {
      throw new IllegalArgumentException("raw export folder must hold " + MANIFEST + ", was '" + dir + "' without it");
    }
    JsonNode m = Json.readTree(manifest);
    if (!FORMAT.equals(m.path("format").asText()) || m.path("formatVersion").asInt() != FORMAT_VERSION) {
      throw new IllegalArgumentException(manifest + " format must be " + FORMAT + " version " + FORMAT_VERSION
          + ", was " + m.path("format") + " version " + m.path("formatVersion"));
    }
    if (!graph.name().equals(m.path("model").asText())) {
      throw new IllegalArgumentException(manifest + " model must be '" + graph.name() + "', was "
          + m.path("model"));
    }
    List<LayerPrecision> scheme = new ArrayList<>();
    for (JsonNode l : m.path("scheme").path("layers")) {
      scheme.add(LayerPrecision.of(text(l, "name", manifest), l.path("weightBits").asInt(-1),
          l.path("activationBits").asInt(-1)));
    }
    Map<String, LayerWeights> layers = new LinkedHashMap<>();
    for (JsonNode l : m.path("layers")) {
      String name = text(l, "name", manifest);
      int[] shape = ints(l.path("shape"));
      int bits = l.path("bits").asInt(-1);
      String dtype = text(l, "dtype", manifest);
      byte[] bytes = readFile(dir, l, manifest);
      if (bits == 32) {
        layers.put(name, LayerWeights.full(name, shape, floats(bytes, dtype, name)));
      } else {
        if (!dtype.equals(levelType(Math.max(bits, 0)))) {
          throw new IllegalArgumentException("levels of layer '" + name + "' at " + bits + " bits must be stored as "
              + levelType(Math.max(bits, 0)) + ", was " + dtype);
        }
        if (!l.path("scaleBits").canConvertToInt()) {
          throw new IllegalArgumentException("layer '" + name + "' of " + manifest + " must give scaleBits (the scale's "
              + "float32 bits), was " + l.path("scaleBits"));
        }
        float scale = Float.intBitsToFloat(l.path("scaleBits").asInt());
        layers.put(name, LayerWeights.quantized(name, bits, shape, ints(bytes, dtype), scale));
      }
    }
    Map<String, ActivationSpec> activations = new LinkedHashMap<>();
    for (JsonNode a : m.path("activations")) {
      String kind = text(a, "kind", manifest);
      ActivationSpec.Kind k;
      try {
        k = ActivationSpec.Kind.valueOf(kind.toUpperCase());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("activation kind of node '" + a.path("node").asText() + "' must be relu, "
            + "relu6, relu6_quant or pact_quant, was '" + kind + "'");
      }
      activations.put(text(a, "node", manifest), new ActivationSpec(k, a.path("bits").asInt(0)));
    }
    Map<String, float[]> tensors = new LinkedHashMap<>();
    for (JsonNode t : m.path("tensors")) {
      String name = text(t, "name", manifest);
      tensors.put(name, floats(readFile(dir, t, manifest), text(t, "dtype", manifest), name));
    }
    return QuantizedNetwork.of(graph, new QuantizationScheme(scheme), layers, activations, tensors);
  }

  private static String text(JsonNode n, String field, Path manifest) {
    if (!n.path(field).isTextual()) {
      throw new IllegalArgumentException(manifest + ": '" + field + "' must be a string, was " + n.path(field)
          + " in " + n);
    }
    return n.path(field).asText();
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  private static byte[] readFile(Path dir, JsonNode entry, Path manifest) {
    String file = text(entry, "file", manifest);
    Path p = dir.resolve(file).normalize();
    if (!p.startsWith(dir.normalize()) || !Files.isRegularFile(p)) {
      throw new IllegalArgumentException("file '" + file + "' of " + manifest + " must exist in " + dir
          + ", was missing");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
    }
    int[] shape = ints(entry.path("shape"));
    long count = 1;
    for (int d : shape) {
      count *= d;
    }
    String dtype = text(entry, "dtype", manifest);
    if (bytes.length != count * width(dtype)) {
      throw new IllegalArgumentException("file '" + file + "' must have " + count * width(dtype) + " bytes ("
          + count + " " + dtype + " values), was " + bytes.length);
    }
    String sha = Digests.sha256Label(bytes);
    if (!sha.equals(entry.path("sha256").asText())) {
      throw new IllegalArgumentException("file '" + file + "' must have the manifest's digest "
          + entry.path("sha256").asText() + ", was " + sha);
    }
    return bytes;
  }

  private static String writeFile(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes);
    return Digests.sha256Label(bytes);
  }

  private static byte[] floatBytes(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  private static byte[] intBytes(int[] v, String dtype) {
    ByteBuffer b = ByteBuffer.allocate(width(dtype) * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int x : v) {
      switch (dtype) {
        case "int8" -> b.put((byte) x);
        case "int16" -> b.putShort((short) x);
        default -> b.putInt(x);
      }
    }
    return b.array();
  }

  private static float[] floats(byte[] bytes, String dtype, String name) {
    if (!dtype.equals("float32")) {
      throw new IllegalArgumentException("tensor '" + name + "' must be float32, was " + dtype);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[bytes.length / 4];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getFloat();
    }
    return out;
  }

  private static int[] ints(byte[] bytes, String dtype) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int[] out = new int[bytes.length / width(dtype)];
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (dtype) {
        case "int8" -> b.get();
        case "int16" -> b.getShort();
        case "int32" -> b.getInt();
        default -> throw new IllegalArgumentException("levels must be int8, int16 or int32, was " + dtype);
      };
    }
    return out;
  }
}
