package org.bsq.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.bsq.core.io.FileTrees;
import org.bsq.core.json.Json;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;

/**
 * A saved training state: every parameter and buffer of the store (bitwise float32), the optimizer's momentum
 * buffers, the keep-best snapshot, the {@link TrainingState} (position, accumulators, history) and the
 * {@link TrainingConfig}. A checkpoint of parameters only ({@link #ofParameters}) has no config and no state.
 *
 * <p><b>Format</b> (version {@value #FORMAT_VERSION}): a directory with {@value #JSON_FILE} (Jackson; everything but the
 * tensor values, each tensor listed with name, role, shape, offset into the binary file in floats, and a CRC-32 of its
 * bytes) and {@value #TENSOR_FILE} (all tensors as raw little-endian float32, concatenated). {@link #write(Path)} writes
 * into a temporary sibling directory and renames it into place, so a crash leaves either the old or the new checkpoint
 * (if it strikes between the two renames, {@link #resolve(Path)} finds the old one under {@code <name>.old-*}).
 */
public final class Checkpoint {
  public static final int FORMAT_VERSION = 1;
  public static final String FORMAT = "bsq-java-checkpoint";
  public static final String JSON_FILE = "checkpoint.json";
  public static final String TENSOR_FILE = "tensors.bin";
  /** Sub-directory of a checkpoint root that holds the latest checkpoint. */
  public static final String LATEST = "latest";
  /** Sub-directory of a checkpoint root that holds the best-evaluated checkpoint (keep-best). */
  public static final String BEST = "best";

  private static final int CHUNK_FLOATS = 1 << 18;

  /** One named tensor of a checkpoint (values copied in and out). */
  public static final class Tensor {
    private final String name;
    private final ParameterRole role;
    private final int[] shape;
    private final float[] values;

    public Tensor(String name, ParameterRole role, int[] shape, float[] values) {
      long size = 1;
      for (int d : shape) {
        if (d < 1) {
          throw new IllegalArgumentException("tensor '" + name + "' dimensions must be >= 1, was " + Arrays.toString(shape));
        }
        size *= d;
      }
      if (size != values.length) {
        throw new IllegalArgumentException("tensor '" + name + "' with shape " + Arrays.toString(shape) + " needs "
            + size + " values, was " + values.length);
      }
      this.name = name;
      this.role = role;
      this.shape = shape.clone();
      this.values = values.clone();
    }

    static Tensor of(Parameter p) { return new Tensor(p.name(), p.role(), p.shape(), p.value()); }

    public String name() { return name; }

    /** The parameter's role; null for optimizer state. */
    public ParameterRole role() { return role; }

    public int[] shape() { return shape.clone(); }

    public int size() { return values.length; }

    public float[] values() { return values.clone(); }

  }

  private final TrainingConfig config;
  private final TrainingState state;
  private final List<Tensor> parameters;
  private final List<Tensor> momentum;
  private final List<Tensor> best;

  Checkpoint(TrainingConfig config, TrainingState state, List<Tensor> parameters, List<Tensor> momentum,
      List<Tensor> best) {
    if ((config == null) != (state == null)) {
      throw new IllegalArgumentException("checkpoint config and state must both be given or both be null");
    }
    this.config = config;
    this.state = state;
    this.parameters = List.copyOf(parameters);
    this.momentum = List.copyOf(momentum);
    this.best = List.copyOf(best);
  }

  /** A checkpoint of the store's parameters and buffers only (e.g. a pretrained model), without training state. */
  public static Checkpoint ofParameters(ParameterStore store) {
    return new Checkpoint(null, null, tensorsOf(store), List.of(), List.of());
  }

  /** A full training checkpoint; tensors are copied now. */
  static Checkpoint capture(ParameterStore store, SgdOptimizer optimizer, TrainingConfig config, TrainingState state,
      List<Tensor> best) {
    List<Tensor> mom = new ArrayList<>();
    for (String name : optimizer.stateNames()) {
      mom.add(new Tensor(name, null, optimizer.momentumShape(name), optimizer.momentumBuffer(name)));
    }
    return new Checkpoint(config, state, tensorsOf(store), mom, best);
  }

  static List<Tensor> tensorsOf(ParameterStore store) {
    List<Tensor> out = new ArrayList<>();
    for (Parameter p : store.all()) {
      out.add(Tensor.of(p));
    }
    return out;
  }

  /** The run's config, or null for a parameters-only checkpoint. */
  public TrainingConfig config() { return config; }

  /** The training position and history, or null for a parameters-only checkpoint. */
  public TrainingState state() { return state; }

  /** Parameters and buffers, in store order. */
  public List<Tensor> parameters() { return parameters; }

  /** Momentum buffers of the optimizer (names of their parameters). */
  public List<Tensor> momentum() { return momentum; }

  /** The keep-best snapshot (every parameter and buffer at the best epoch), empty without keep-best. */
  public List<Tensor> best() { return best; }

  /** Name and shape of every parameter and buffer, in store order. */
  public Map<String, int[]> parameterShapes() {
    Map<String, int[]> out = new LinkedHashMap<>();
    for (Tensor t : parameters) {
      out.put(t.name(), t.shape());
    }
    return out;
  }

  /** Copies the values into {@code store}, which must hold exactly the same names, shapes and roles. */
  public void restoreParameters(ParameterStore store) {
    restore(parameters, store, "checkpoint");
  }

  static void restore(List<Tensor> tensors, ParameterStore store, String what) {
    List<String> problems = new ArrayList<>();
    Map<String, Tensor> byName = new LinkedHashMap<>();
    for (Tensor t : tensors) {
      byName.put(t.name(), t);
    }
    for (Parameter p : store.all()) {
      Tensor t = byName.get(p.name());
      if (t == null) {
        problems.add("parameter '" + p.name() + "' of the model is missing from the " + what);
      } else if (!p.hasSameShape(t.shape)) {
        problems.add("parameter '" + p.name() + "' must have the model's shape " + Arrays.toString(p.shape())
            + ", was " + Arrays.toString(t.shape) + " in the " + what);
      } else if (t.role != p.role()) {
        problems.add("parameter '" + p.name() + "' must have the model's role " + p.role() + ", was " + t.role
            + " in the " + what);
      }
    }
    for (String name : byName.keySet()) {
      if (!store.contains(name)) {
        problems.add("tensor '" + name + "' of the " + what + " is not a parameter of the model");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(what + " does not match the model: " + String.join("; ", problems));
    }
    for (Tensor t : tensors) {
      System.arraycopy(t.values, 0, store.get(t.name()).value(), 0, t.values.length);
    }
  }

  /**
   * Replaces the optimizer's state by the saved momentum buffers; each must belong to a trainable parameter of
   * {@code store} with the same shape.
   */
  public void restoreOptimizer(SgdOptimizer optimizer, ParameterStore store) {
    List<String> problems = new ArrayList<>();
    for (Tensor t : momentum) {
      if (!store.contains(t.name())) {
        problems.add("momentum buffer '" + t.name() + "' belongs to no parameter of the model");
      } else if (!store.get(t.name()).trainable()) {
        problems.add("momentum buffer '" + t.name() + "' belongs to a buffer, not a trainable parameter");
      } else if (!store.get(t.name()).hasSameShape(t.shape)) {
        problems.add("momentum buffer '" + t.name() + "' must have the parameter's shape "
            + Arrays.toString(store.get(t.name()).shape()) + ", was " + Arrays.toString(t.shape));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("checkpoint optimizer state does not match the model: "
          + String.join("; ", problems));
    }
    optimizer.resetAll();
    for (Tensor t : momentum) {
      optimizer.setMomentumBuffer(t.name(), t.shape, t.values);
    }
  }

  // ---------------------------------------------------------------------------------------------- writing

  /** Writes this checkpoint to {@code dir} atomically (replacing an existing checkpoint there). */
  public void write(Path dir) {
    Path target = dir.toAbsolutePath().normalize();
    Path parent = target.getParent();
    String name = target.getFileName().toString();
    try {
      Files.createDirectories(parent);
      Path tmp = Files.createTempDirectory(parent, name + ".tmp-");
      try {
        ObjectNode root = mapper().createObjectNode();
        root.put("format", FORMAT);
        root.put("formatVersion", FORMAT_VERSION);
        root.set("config", config == null ? null : mapper().valueToTree(config));
        root.set("state", state == null ? null : mapper().valueToTree(state));
        try (FileChannel ch = FileChannel.open(tmp.resolve(TENSOR_FILE), StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
          long[] offset = {0};
          root.set("parameters", writeTensors(ch, parameters, offset));
          root.set("momentum", writeTensors(ch, momentum, offset));
          root.set("best", writeTensors(ch, best, offset));
          root.put("totalFloats", offset[0]);
          ch.force(true);
        }
        try (FileChannel ch = FileChannel.open(tmp.resolve(JSON_FILE), StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
          ch.write(ByteBuffer.wrap(Json.pretty(root).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
          ch.force(true);
        }
        swapInto(tmp, target);
      } finally {
        if (Files.exists(tmp)) {
          FileTrees.deleteRecursively(tmp);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not write checkpoint to " + target + ": " + e.getMessage(), e);
    }
  }

  private static void swapInto(Path tmp, Path target) throws IOException {
    if (!Files.exists(target)) {
      move(tmp, target);
      return;
    }
    Path old = Files.createTempDirectory(target.getParent(), target.getFileName() + ".old-");
    Files.delete(old);
    move(target, old);
    move(tmp, target);
    FileTrees.deleteRecursively(old);
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  private static ArrayNode writeTensors(FileChannel ch, List<Tensor> tensors, long[] offset) throws IOException {
    ArrayNode list = mapper().createArrayNode();
    ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (Tensor t : tensors) {
      CRC32 crc = new CRC32();
      float[] v = t.values;
      for (int start = 0; start < v.length; start += CHUNK_FLOATS) {
        int end = Math.min(v.length, start + CHUNK_FLOATS);
        buf.clear();
        for (int i = start; i < end; i++) {
          buf.putFloat(v[i]);
        }
        buf.flip();
        crc.update(buf.duplicate());
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
      ObjectNode e = list.addObject();
      e.put("name", t.name);
      e.put("role", t.role == null ? null : t.role.name());
      ArrayNode shape = e.putArray("shape");
      for (int d : t.shape) {
        shape.add(d);
      }
      e.put("offset", offset[0]);
      e.put("length", v.length);
      e.put("crc32", crc.getValue());
      offset[0] += v.length;
    }
    return list;
  }

  // ---------------------------------------------------------------------------------------------- reading

  /**
   * The directory holding a checkpoint: {@code dir} itself when it contains {@value #JSON_FILE}, else
   * {@code dir/latest}, else the newest {@code <dir>.old-*} left by a crash during a write.
   *
   * @throws IllegalArgumentException when there is none
   */
  public static Path resolve(Path dir) {
    Path d = dir.toAbsolutePath().normalize();
    if (Files.isRegularFile(d.resolve(JSON_FILE))) {
      return d;
    }
    if (Files.isRegularFile(d.resolve(LATEST).resolve(JSON_FILE))) {
      return d.resolve(LATEST);
    }
    for (Path base : List.of(d, d.resolve(LATEST))) {
      Path parent = base.getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        continue;
      }
      List<Path> olds = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, base.getFileName() + ".old-*")) {
        for (Path p : ds) {
          if (Files.isRegularFile(p.resolve(JSON_FILE))) {
            olds.add(p);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("could not list " + parent + ": " + e.getMessage(), e);
      }
      if (!olds.isEmpty()) {
        olds.sort(Comparator.comparing(Checkpoint::modified).reversed());
        return olds.get(0);
      }
    }
    throw new IllegalArgumentException("checkpoint directory must contain " + JSON_FILE + " or " + LATEST + "/"
        + JSON_FILE + ", was " + d);
  }

  /** Whether {@link #resolve} finds a checkpoint for {@code dir} (what a run checks before resuming). */
  public static boolean exists(Path dir) {
    try {
      resolve(dir);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static java.nio.file.attribute.FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p.resolve(JSON_FILE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads the checkpoint in {@code dir} (see {@link #resolve(Path)}), checking format, sizes and checksums. */
  public static Checkpoint read(Path dir) {
    Path d = resolve(dir);
    try {
      JsonNode root = mapper().readTree(d.resolve(JSON_FILE).toFile());
      String format = root.path("format").asText(null);
      if (!FORMAT.equals(format)) {
        throw new IllegalArgumentException("checkpoint format in " + d.resolve(JSON_FILE) + " must be '" + FORMAT
            + "', was '" + format + "'");
      }
      int version = root.path("formatVersion").asInt(-1);
      if (version < 1 || version > FORMAT_VERSION) {
        throw new IllegalArgumentException("checkpoint format version in " + d.resolve(JSON_FILE) + " must be in [1, "
            + FORMAT_VERSION + "], was " + version);
      }
      TrainingConfig config = root.path("config").isNull() || root.path("config").isMissingNode() ? null
          : mapper().treeToValue(root.get("config"), TrainingConfig.class);
      TrainingState state = root.path("state").isNull() || root.path("state").isMissingNode() ? null
          : mapper().treeToValue(root.get("state"), TrainingState.class);
      Path bin = d.resolve(TENSOR_FILE);
      long total = root.path("totalFloats").asLong(-1);
      long bytes = Files.size(bin);
      if (bytes != total * 4) {
        throw new IllegalArgumentException("checkpoint tensor file " + bin + " must hold " + total * 4
            + " bytes, was " + bytes);
      }
      try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.READ)) {
        List<Tensor> params = readTensors(ch, root.path("parameters"), bin, total, true);
        List<Tensor> mom = readTensors(ch, root.path("momentum"), bin, total, false);
        List<Tensor> best = readTensors(ch, root.path("best"), bin, total, true);
        return new Checkpoint(config, state, params, mom, best);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not read checkpoint " + d + ": " + e.getMessage(), e);
    }
  }

  private static List<Tensor> readTensors(FileChannel ch, JsonNode list, Path bin, long total, boolean withRole)
      throws IOException {
    List<Tensor> out = new ArrayList<>();
    if (list.isMissingNode() || list.isNull()) {
      return out;
    }
    ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (JsonNode e : list) {
      String name = e.path("name").asText();
      ParameterRole role = null;
      if (withRole) {
        String r = e.path("role").asText(null);
        try {
          role = ParameterRole.valueOf(r);
        } catch (IllegalArgumentException | NullPointerException ex) {
          throw new IllegalArgumentException("checkpoint tensor '" + name + "' role must be one of "
              + Arrays.toString(ParameterRole.values()) + ", was " + r, ex);
        }
      }
      int[] shape = new int[e.path("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = e.path("shape").get(i).asInt();
      }
      long offset = e.path("offset").asLong(-1);
      int length = e.path("length").asInt(-1);
      if (offset < 0 || length < 0 || offset + length > total) {
        throw new IllegalArgumentException("checkpoint tensor '" + name + "' must lie inside " + bin + " (" + total
            + " floats), was offset " + offset + " length " + length);
      }
      float[] v = new float[length];
      CRC32 crc = new CRC32();
      long pos = offset * 4;
      for (int start = 0; start < length; start += CHUNK_FLOATS) {
        int end = Math.min(length, start + CHUNK_FLOATS);
        buf.clear();
        buf.limit((end - start) * 4);
        while (buf.hasRemaining()) {
          int r = ch.read(buf, pos + buf.position());
          if (r < 0) {
            throw new IllegalArgumentException("checkpoint tensor file " + bin + " ends inside tensor '" + name + "'");
          }
        }
        buf.flip();
        crc.update(buf.duplicate());
        for (int i = start; i < end; i++) {
          v[i] = buf.getFloat();
        }
        pos += (long) (end - start) * 4;
      }
      long expected = e.path("crc32").asLong(-1);
      if (crc.getValue() != expected) {
        throw new IllegalArgumentException("checkpoint tensor '" + name + "' in " + bin + " must have CRC-32 "
            + expected + ", was " + crc.getValue() + " (file corrupted)");
      }
      out.add(new Tensor(name, role, shape, v));
    }
    return out;
  }

  private static ObjectMapper mapper() {
    return Json.files();
  }
}
