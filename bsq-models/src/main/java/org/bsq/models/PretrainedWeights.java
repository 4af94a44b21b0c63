package org.bsq.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.bsq.core.json.Json;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;
import org.bsq.core.provenance.Digests;

/**
 * Reads and writes weights in the raw-float32 + {@code manifest.json} format of
 * {@code shared/data/pretrained/resnet20-cifar10-fp32}: one little-endian float32 file per tensor (C order, no header),
 * tensor names equal to the PyTorch state-dict keys without the {@code module.} prefix, and a manifest listing name,
 * shape, file, element count and md5 of each tensor. Models trained here are saved in the same format, so
 * {@code bsq eval --weights DIR} reads both.
 */
public final class PretrainedWeights {
  /** Name of the manifest file inside a weights folder. */
  public static final String MANIFEST = "manifest.json";


  /** One tensor listed in a manifest. */
  public record TensorEntry(String name, List<Integer> shape, String file, long numElements, String md5) {}

  private PretrainedWeights() {}

  /** The tensors listed in {@code dir/manifest.json}, in file order. */
  public static List<TensorEntry> entries(Path dir) {
    JsonNode root = readManifest(dir);
    List<TensorEntry> out = new ArrayList<>();
    for (JsonNode t : root.path("tensors")) {
      List<Integer> shape = new ArrayList<>();
      t.path("shape").forEach(d -> shape.add(d.asInt()));
      out.add(new TensorEntry(t.path("name").asText(), shape, t.path("file").asText(), t.path("num_elements").asLong(),
          t.path("md5").asText(null)));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("weights manifest " + dir.resolve(MANIFEST) + " lists no tensors");
    }
    return out;
  }

  /** The parsed manifest (for metadata such as reference outputs). */
  public static JsonNode readManifest(Path dir) {
    Path manifest = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(manifest)) {
      throw new IllegalArgumentException("weights folder must contain " + MANIFEST + ", missing: " + manifest
          + " (expected the raw-float32 + manifest format, e.g. ../shared/data/pretrained/resnet20-cifar10-fp32)");
    }
    return Json.readTree(manifest);
  }

  /**
   * Loads every tensor of {@code store} from {@code dir}. Each store tensor must be listed with the same shape, and
   * each listed tensor must exist in the store; the only exception are learnable activation clips (PACT alpha), which
   * keep their current value when absent (the reference checkpoint does not store them). With
   * {@code verifyChecksums} every file's md5 is checked against the manifest.
   *
   * @throws IllegalArgumentException naming the first missing, extra or mis-shaped tensor or a checksum mismatch
   */
  public static void load(Path dir, ParameterStore store, boolean verifyChecksums) {
    Map<String, TensorEntry> byName = new LinkedHashMap<>();
    for (TensorEntry e : entries(dir)) {
      byName.put(e.name(), e);
    }
    TreeSet<String> extra = new TreeSet<>(byName.keySet());
    for (Parameter p : store.all()) {
      extra.remove(p.name());
    }
    if (!extra.isEmpty()) {
      throw new IllegalArgumentException("weights in " + dir + " do not fit the model: tensors " + extra
          + " have no parameter in the model (wrong --model?)");
    }
    for (Parameter p : store.all()) {
      TensorEntry e = byName.get(p.name());
      if (e == null) {
        if (p.role() == ParameterRole.ACTIVATION_CLIP) {
          continue;
        }
        throw new IllegalArgumentException("weights in " + dir + " lack tensor '" + p.name() + "' that the model needs");
      }
      int[] shape = e.shape().stream().mapToInt(Integer::intValue).toArray();
      if (!p.hasSameShape(shape)) {
        throw new IllegalArgumentException("tensor '" + p.name() + "' in " + dir + " must have shape "
            + Arrays.toString(p.shape()) + ", was " + e.shape());
      }
      readInto(dir.resolve(e.file()), p.value(), verifyChecksums ? e.md5() : null);
    }
  }

  private static void readInto(Path file, float[] dst, String md5) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tensor file " + file + ": " + e.getMessage(), e);
    }
    if (bytes.length != dst.length * 4L) {
      throw new IllegalArgumentException("tensor file " + file + " must be " + dst.length * 4L + " bytes ("
          + dst.length + " float32), was " + bytes.length);
    }
    if (md5 != null && !md5.isEmpty()) {
      String actual = md5(bytes);
      if (!actual.equalsIgnoreCase(md5)) {
        throw new IllegalArgumentException("tensor file " + file + " md5 must be " + md5 + ", was " + actual
            + " (corrupt or modified file)");
      }
    }
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst);
  }

  /**
   * Writes every tensor of {@code store} (parameters and buffers) into {@code dir} in the same format, with a manifest
   * that also carries {@code metadata} (model name, data set, accuracy...).
   */
  public static void save(Path dir, ParameterStore store, Map<String, ?> metadata) {
    try {
      Files.createDirectories(dir);
      ObjectNode root = Json.files().createObjectNode();
      root.put("format", "one raw little-endian float32 file per tensor, C (row-major) order, no header");
      root.set("metadata", Json.files().valueToTree(metadata));
      ArrayNode tensors = root.putArray("tensors");
      for (Parameter p : store.all()) {
        ByteBuffer buf = ByteBuffer.allocate(p.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(p.value());
        byte[] bytes = buf.array();
        String file = p.name() + ".f32";
        Files.write(dir.resolve(file), bytes);
        ObjectNode t = tensors.addObject();
        t.put("name", p.name());
        ArrayNode shape = t.putArray("shape");
        for (int d : p.shape()) {
          shape.add(d);
        }
        t.put("dtype", "float32");
        t.put("byte_order", "little-endian");
        t.put("file", file);
        t.put("num_elements", p.size());
        t.put("role", p.role().name());
        t.put("md5", md5(bytes));
      }
      Json.writeFile(dir.resolve(MANIFEST), root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write weights to " + dir + ": " + e.getMessage(), e);
    }
  }

  static String md5(byte[] bytes) {
    return Digests.md5Hex(bytes);
  }

}
