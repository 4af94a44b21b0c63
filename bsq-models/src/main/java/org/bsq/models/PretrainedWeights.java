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
import org.bsq.models.io.TorchCheckpoint;
import org.bsq.models.io.TorchStateDict;

/**
 * Reads and writes weights in the raw-float32 + {@code manifest.json} format of
 * {@code shared/data/pretrained/resnet20-cifar10-fp32}: one little-endian float32 file per tensor (C order, no header),
 * tensor names equal to the PyTorch state-dict keys without the {@code module.} prefix, and a manifest listing name,
 * shape, file, element count and md5 of each tensor. Models trained here are saved in the same format, so
 * {@code bsq eval --weights DIR} reads both. {@link #load} also reads PyTorch checkpoint files directly.
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
   * Loads every tensor of {@code store} from {@code source}: a weights folder (raw float32 + manifest) or a PyTorch
   * checkpoint file ({@code .pth}, {@code .pth.tar}, zip or legacy format; its state dict is mapped as
   * {@link TorchStateDict#modelTensors} says). Each store tensor must be present with the same shape, and each
   * tensor of the source must exist in the store; the only exception are learnable activation clips (PACT alpha), which
   * keep their current value when absent (the reference checkpoint does not store them). With
   * {@code verifyChecksums} every file's md5 is checked against the manifest (a checkpoint has no checksums).
   *
   * @throws IllegalArgumentException naming the first missing, extra or mis-shaped tensor or a checksum mismatch
   */
  public static void load(Path source, ParameterStore store, boolean verifyChecksums) {
    if (Files.isRegularFile(source)) {
      loadCheckpoint(source, store);
      return;
    }
    Map<String, Source> byName = new LinkedHashMap<>();
    for (TensorEntry e : entries(source)) {
      byName.put(e.name(), new Source(e.shape(),
          dst -> readInto(source.resolve(e.file()), dst, verifyChecksums ? e.md5() : null)));
    }
    load(source.toString(), byName, store);
  }

  /** Loads the state dict of a PyTorch checkpoint file into {@code store} (see {@link #load}). */
  public static void loadCheckpoint(Path file, ParameterStore store) {
    TorchCheckpoint ckpt = TorchCheckpoint.read(file);
    Map<String, Source> byName = new LinkedHashMap<>();
    for (TorchStateDict.Entry e : TorchStateDict.modelTensors(TorchStateDict.find(ckpt))) {
      List<Integer> shape = Arrays.stream(e.tensor().shape()).boxed().toList();
      byName.put(e.name(), new Source(shape, dst -> System.arraycopy(e.tensor().toFloatArray(), 0, dst, 0, dst.length)));
    }
    load(file.toString(), byName, store);
  }

  private record Source(List<Integer> shape, java.util.function.Consumer<float[]> reader) {}

  private static void load(String where, Map<String, Source> byName, ParameterStore store) {
    TreeSet<String> extra = new TreeSet<>(byName.keySet());
    for (Parameter p : store.all()) {
      extra.remove(p.name());
    }
    if (!extra.isEmpty()) {
      throw new IllegalArgumentException("weights in " + where + " do not fit the model: tensors " + extra
          + " have no parameter in the model (wrong --model?)");
    }
    for (Parameter p : store.all()) {
      Source e = byName.get(p.name());
      if (e == null) {
        if (p.role() == ParameterRole.ACTIVATION_CLIP) {
          continue;
        }
        throw new IllegalArgumentException("weights in " + where + " lack tensor '" + p.name() + "' that the model needs");
      }
      int[] shape = e.shape().stream().mapToInt(Integer::intValue).toArray();
      if (!p.hasSameShape(shape)) {
        throw new IllegalArgumentException("tensor '" + p.name() + "' in " + where + " must have shape "
            + Arrays.toString(p.shape()) + ", was " + e.shape());
      }
      e.reader().accept(p.value());
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
      ObjectNode root = manifestRoot(metadata);
      ArrayNode tensors = root.putArray("tensors");
      for (Parameter p : store.all()) {
        String file = p.name() + ".f32";
        byte[] bytes = writeFloats(dir.resolve(file), p.value());
        ObjectNode t = tensors.addObject();
        t.put("name", p.name());
        putShape(t, p.shape());
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

  /**
   * Writes a PyTorch state dict's model tensors ({@link TorchStateDict#modelTensors}, converted to float32) into
   * {@code dir} in this format, each with its {@code checkpoint_key}; the manifest carries {@code metadata}.
   */
  public static void save(Path dir, List<TorchStateDict.Entry> tensors, Map<String, ?> metadata) {
    try {
      Files.createDirectories(dir);
      ObjectNode root = manifestRoot(metadata);
      ArrayNode list = root.putArray("tensors");
      for (TorchStateDict.Entry e : tensors) {
        float[] v = e.tensor().toFloatArray();
        String file = e.name() + ".f32";
        byte[] bytes = writeFloats(dir.resolve(file), v);
        ObjectNode t = list.addObject();
        t.put("name", e.name());
        t.put("checkpoint_key", e.checkpointKey());
        putShape(t, e.tensor().shape());
        t.put("dtype", "float32");
        t.put("source_dtype", e.tensor().dtype().name().toLowerCase());
        t.put("byte_order", "little-endian");
        t.put("file", file);
        t.put("num_elements", v.length);
        t.put("md5", md5(bytes));
      }
      Json.writeFile(dir.resolve(MANIFEST), root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write weights to " + dir + ": " + e.getMessage(), e);
    }
  }

  private static ObjectNode manifestRoot(Map<String, ?> metadata) {
    ObjectNode root = Json.files().createObjectNode();
    root.put("format", "one raw little-endian float32 file per tensor, C (row-major) order, no header");
    root.set("metadata", Json.files().valueToTree(metadata));
    return root;
  }

  /** Writes {@code values} as raw little-endian float32 to {@code file}; returns the bytes written. */
  private static byte[] writeFloats(Path file, float[] values) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    byte[] bytes = buf.array();
    Files.write(file, bytes);
    return bytes;
  }

  private static void putShape(ObjectNode tensor, int[] shape) {
    ArrayNode dims = tensor.putArray("shape");
    for (int d : shape) {
      dims.add(d);
    }
  }

  static String md5(byte[] bytes) {
    return Digests.md5Hex(bytes);
  }

}
