package org.bsq.models.io;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import net.razorvine.pickle.PickleException;
import org.bsq.models.io.PickleRefs.StorageRef;
import org.bsq.models.io.PickleRefs.TensorRef;

/**
 * A PyTorch checkpoint ({@code torch.save}) read without Python and without executing pickled code, in either on-disk
 * format:
 *
 * <ul>
 *   <li><b>zip</b> (PyTorch 1.6 and later): {@code <stem>/data.pkl} (the object, protocol 2, storages as persistent
 *       ids {@code ('storage', torch.FloatStorage, key, location, numel)}) and one raw little-endian file
 *       {@code <stem>/data/<key>} per storage;</li>
 *   <li><b>legacy</b> (before 1.6, e.g. the BSQ authors' {@code model_best.pth.tar}): five pickles in a row (magic
 *       number {@code 0x1950a86a20f9469cfc6c}, protocol version 1001, system info, the object, the sorted storage
 *       keys), then each storage as an int64 element count and its raw bytes.</li>
 * </ul>
 *
 * The object may hold dicts, {@code collections.OrderedDict}, lists, tuples, numbers, strings, None and tensors
 * ({@code torch._utils._rebuild_tensor_v2}, {@code _rebuild_parameter}); any other global is refused with its name
 * (see {@link RestrictedUnpickler}). Tensors come back as {@link TorchTensor}s in C order.
 */
public final class TorchCheckpoint {
  private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
  private static final int LEGACY_PROTOCOL = 1001;

  private final Path source;
  private final String format;
  private final Object root;

  private TorchCheckpoint(Path source, String format, Object root) {
    this.source = source;
    this.format = format;
    this.root = root;
  }

  /** The file this was read from. */
  public Path source() { return source; }

  /** {@code "zip"} or {@code "legacy"}. */
  public String format() { return format; }

  /**
   * The unpickled object: {@code Map} (insertion order kept), {@code List}, {@code Object[]} (tuples),
   * {@code Integer}/{@code Long}/{@code BigInteger}, {@code Double}, {@code Boolean}, {@code String}, {@code null},
   * {@link TorchTensor}.
   */
  public Object root() { return root; }

  /** Whether {@code file} starts like a PyTorch checkpoint in either format (zip or legacy pickle). */
  public static boolean looksLikeCheckpoint(Path file) {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    byte[] head = new byte[4];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(head, 0, 4);
      return n == 4 && (isZip(head) || (head[0] & 0xff) == 0x80 && head[1] == 2);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Reads {@code file}.
   *
   * @throws IllegalArgumentException for a file in neither format, a refused global, or a malformed checkpoint, each
   *     naming the file and what was wrong
   */
  public static TorchCheckpoint read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("PyTorch checkpoint must be an existing file, was '" + file + "'");
    }
    byte[] head = new byte[512];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    try {
      if (n >= 4 && isZip(head)) {
        return new TorchCheckpoint(file, "zip", readZip(file));
      }
      if (n >= 2 && (head[0] & 0xff) == 0x80 && head[1] == 2) {
        return new TorchCheckpoint(file, "legacy", readLegacy(file));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read PyTorch checkpoint " + file + ": " + e.getMessage(), e);
    } catch (PickleException e) {
      throw new IllegalArgumentException("PyTorch checkpoint " + file + " is not a valid pickle: " + e.getMessage(), e);
    } catch (ClassCastException | IndexOutOfBoundsException | NullPointerException | NegativeArraySizeException
             | ArithmeticException e) {
      // a malformed pickle drives the opcode machine into states it does not check (wrong types, empty stack)
      throw new IllegalArgumentException("PyTorch checkpoint " + file + " is malformed: " + e, e);
    }
    if (n >= 262 && "ustar".equals(new String(head, 257, 5, StandardCharsets.US_ASCII))) {
      throw new IllegalArgumentException("PyTorch checkpoint " + file + " is a tar archive (the format of PyTorch "
          + "before 0.4), which is not supported: load and re-save it with a current PyTorch");
    }
    throw new IllegalArgumentException("file " + file + " must be a PyTorch checkpoint (a zip archive, or a pickle "
        + "stream starting with protocol 2), starts with bytes " + hex(head, Math.min(n, 8)));
  }

  // ---------------------------------------------------------------- zip

  private static Object readZip(Path file) throws IOException {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      String prefix = null;
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        String name = e.nextElement().getName();
        if (name.endsWith("data.pkl") && (name.equals("data.pkl") || name.endsWith("/data.pkl"))
            && name.indexOf('/') == name.lastIndexOf('/')) {
          prefix = name.substring(0, name.length() - "data.pkl".length());
          break;
        }
      }
      if (prefix == null) {
        throw new IllegalArgumentException("zip file " + file + " has no <stem>/data.pkl entry, so it is not a "
            + "PyTorch checkpoint");
      }
      ZipEntry order = zip.getEntry(prefix + "byteorder");
      if (order != null) {
        String o = new String(zip.getInputStream(order).readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (!"little".equals(o)) {
          throw new IllegalArgumentException("PyTorch checkpoint " + file + " byte order must be little, was " + o);
        }
      }
      String source = file + " (" + prefix + "data.pkl)";
      Map<String, byte[]> storages = new HashMap<>();
      Map<String, StorageRef> refs = new HashMap<>();
      String dataPrefix = prefix + "data/";
      Function<Object[], Object> loader = pid -> {
        StorageRef ref = storageRef(source, pid, false);
        refs.putIfAbsent(ref.key(), ref);
        if (!storages.containsKey(ref.key())) {
          ZipEntry entry = zip.getEntry(dataPrefix + ref.key());
          if (entry == null) {
            throw new IllegalArgumentException("PyTorch checkpoint " + file + " lacks storage entry " + dataPrefix
                + ref.key());
          }
          try (InputStream in = zip.getInputStream(entry)) {
            storages.put(ref.key(), in.readAllBytes());
          } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dataPrefix + ref.key() + " in " + file, e);
          }
        }
        return ref;
      };
      Object raw;
      ZipEntry pkl = zip.getEntry(prefix + "data.pkl");
      try (InputStream in = new BufferedInputStream(zip.getInputStream(pkl))) {
        raw = new RestrictedUnpickler(source, loader, Math.max(Files.size(file), pkl.getSize())).read(in);
      }
      return materialize(file, raw, storages);
    }
  }

  // ---------------------------------------------------------------- legacy

  private static Object readLegacy(Path file) throws IOException {
    long size = Files.size(file);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      Function<Object[], Object> none = pid -> {
        throw new IllegalArgumentException(file + " has a persistent id in its header, which must have none");
      };
      Object magic = new RestrictedUnpickler(file + " (magic number)", none, size).read(in);
      if (!(magic instanceof Number m) || !new BigInteger(m.toString()).equals(LEGACY_MAGIC)) {
        throw new IllegalArgumentException("PyTorch checkpoint " + file + " magic number must be 0x1950a86a20f9469cfc6c"
            + " (legacy torch.save format), was " + RestrictedUnpickler.describe(magic));
      }
      Object protocol = new RestrictedUnpickler(file + " (protocol)", none, size).read(in);
      if (!(protocol instanceof Number p) || p.intValue() != LEGACY_PROTOCOL) {
        throw new IllegalArgumentException("PyTorch checkpoint " + file + " protocol version must be "
            + LEGACY_PROTOCOL + ", was " + RestrictedUnpickler.describe(protocol));
      }
      Object sysInfo = new RestrictedUnpickler(file + " (system info)", none, size).read(in);
      if (sysInfo instanceof Map<?, ?> info && Boolean.FALSE.equals(info.get("little_endian"))) {
        throw new IllegalArgumentException("PyTorch checkpoint " + file + " was written on a big-endian machine, "
            + "which is not supported");
      }
      Map<String, StorageRef> roots = new LinkedHashMap<>();
      String source = file + " (object pickle)";
      Function<Object[], Object> loader = pid -> {
        StorageRef ref = storageRef(source, pid, true);
        StorageRef known = roots.putIfAbsent(ref.key(), new StorageRef(ref.dtype(), ref.key(), ref.numElements(), 0));
        if (known != null && known.dtype() != ref.dtype()) {
          throw new IllegalArgumentException("storage '" + ref.key() + "' in " + file + " is referenced as "
              + known.dtype() + " and as " + ref.dtype());
        }
        return ref;
      };
      Object raw = new RestrictedUnpickler(source, loader, size).read(in);
      Object keys = new RestrictedUnpickler(file + " (storage keys)", none, size).read(in);
      if (!(keys instanceof List<?> keyList)) {
        throw new IllegalArgumentException("PyTorch checkpoint " + file + " storage keys must be a list, was "
            + RestrictedUnpickler.describe(keys));
      }
      Map<String, byte[]> storages = new HashMap<>();
      DataInputStream data = new DataInputStream(in);
      for (Object k : keyList) {
        String key = String.valueOf(k);
        StorageRef root = roots.get(key);
        if (root == null) {
          throw new IllegalArgumentException("PyTorch checkpoint " + file + " stores storage '" + key
              + "' that no tensor references");
        }
        byte[] count = new byte[8];
        try {
          data.readFully(count);
        } catch (EOFException e) {
          throw new IllegalArgumentException("PyTorch checkpoint " + file + " is truncated: storage '" + key
              + "' is missing", e);
        }
        long numel = ByteBuffer.wrap(count).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (numel != root.numElements()) {
          throw new IllegalArgumentException("storage '" + key + "' in " + file + " must hold " + root.numElements()
              + " elements (its persistent id), was " + numel);
        }
        long bytes = numel * root.dtype().size();
        if (numel < 0 || bytes > Files.size(file)) {
          throw new IllegalArgumentException("storage '" + key + "' in " + file + " claims " + numel + " elements, "
              + "more than the file holds (truncated or corrupt)");
        }
        if (bytes > Integer.MAX_VALUE - 16) {
          throw new IllegalArgumentException("storage '" + key + "' in " + file + " must be under 2 GiB, was "
              + bytes + " bytes");
        }
        byte[] b = new byte[(int) bytes];
        try {
          data.readFully(b);
        } catch (EOFException e) {
          throw new IllegalArgumentException("PyTorch checkpoint " + file + " is truncated inside storage '" + key
              + "' (" + bytes + " bytes expected)", e);
        }
        storages.put(key, b);
      }
      return materialize(file, raw, storages);
    }
  }

  // ---------------------------------------------------------------- shared

  /** Parses {@code ('storage', type, key, location, numel[, view_metadata])}. */
  private static StorageRef storageRef(String source, Object[] pid, boolean legacy) {
    if (pid.length == 0 || !"storage".equals(pid[0])) {
      String kind = pid.length == 0 ? "()" : String.valueOf(pid[0]);
      throw new IllegalArgumentException(source + " has a persistent id of kind '" + kind + "'; only 'storage' is "
          + "supported" + ("module".equals(kind) ? " (a pickled nn.Module with its source code: save "
          + "model.state_dict() instead)" : ""));
    }
    if (pid.length < 5) {
      throw new IllegalArgumentException(source + " storage persistent id must have at least 5 fields, was "
          + pid.length);
    }
    TorchDType dtype = RestrictedUnpickler.storageTypeOf(pid[1]);
    if (dtype == null) {
      throw new IllegalArgumentException(source + " storage type must be one of "
          + RestrictedUnpickler.storageClasses() + ", was " + RestrictedUnpickler.describe(pid[1]));
    }
    String key = String.valueOf(pid[2]);
    long numel = RestrictedUnpickler.toLong("storage size", pid[4]);
    long offset = 0;
    if (legacy && pid.length > 5 && pid[5] != null) {
      Object[] view = RestrictedUnpickler.tuple("storage view metadata", pid[5]);
      if (view.length != 3) {
        throw new IllegalArgumentException(source + " storage view metadata must be (view_key, offset, size), was "
            + view.length + " fields");
      }
      offset = RestrictedUnpickler.toLong("storage view offset", view[1]);
    }
    return new StorageRef(dtype, key, numel, offset);
  }

  /** Replaces every pending tensor in the tree by its elements. */
  private static Object materialize(Path file, Object o, Map<String, byte[]> storages) {
    if (o instanceof TensorRef t) {
      return tensor(file, t, storages.get(t.storage.key()));
    }
    if (o instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.put(e.getKey(), materialize(file, e.getValue(), storages));
      }
      return Collections.unmodifiableMap(out);
    }
    if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object x : l) {
        out.add(materialize(file, x, storages));
      }
      return Collections.unmodifiableList(out);
    }
    if (o instanceof Object[] a) {
      Object[] out = new Object[a.length];
      for (int i = 0; i < a.length; i++) {
        out[i] = materialize(file, a[i], storages);
      }
      return out;
    }
    if (o instanceof StorageRef s) {
      throw new IllegalArgumentException("PyTorch checkpoint " + file + " holds a bare storage '" + s.key()
          + "' outside a tensor, which is not supported");
    }
    return o;
  }

  private static TorchTensor tensor(Path file, TensorRef t, byte[] storage) {
    StorageRef s = t.storage;
    if (storage == null) {
      throw new IllegalArgumentException("PyTorch checkpoint " + file + " lacks the data of storage '" + s.key() + "'");
    }
    int es = s.dtype().size();
    long storageElements = storage.length / es;
    long n = 1;
    for (int d : t.size) {
      n = Math.multiplyExact(n, (long) d);
    }
    long bytes = Math.multiplyExact(n, (long) es);
    if (bytes > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("tensor of shape " + java.util.Arrays.toString(t.size) + " in " + file
          + " must be under 2 GiB, was " + bytes + " bytes");
    }
    if (n == 0) {
      return new TorchTensor(s.dtype(), t.size, new byte[0]);
    }
    long base = s.elementOffset() + t.offset;
    long last = base;
    for (int d = 0; d < t.size.length; d++) {
      if (t.stride[d] < 0) {
        throw new IllegalArgumentException("tensor strides in " + file + " must be >= 0, was "
            + java.util.Arrays.toString(t.stride));
      }
      last += (long) (t.size[d] - 1) * t.stride[d];
    }
    if (base < 0 || last >= storageElements) {
      throw new IllegalArgumentException("tensor of shape " + java.util.Arrays.toString(t.size) + " at offset "
          + base + " with strides " + java.util.Arrays.toString(t.stride) + " reads past storage '" + s.key()
          + "' of " + storageElements + " elements in " + file);
    }
    byte[] out = new byte[(int) bytes]; // after the bounds check: a corrupt size must not allocate first
    int rank = t.size.length;
    long expected = 1;
    boolean contiguous = true;
    for (int d = rank - 1; d >= 0; d--) {
      if (t.size[d] != 1 && t.stride[d] != expected) {
        contiguous = false;
      }
      expected *= t.size[d];
    }
    if (contiguous) {
      System.arraycopy(storage, (int) (base * es), out, 0, out.length);
      return new TorchTensor(s.dtype(), t.size, out);
    }
    int[] idx = new int[rank];
    for (long i = 0; i < n; i++) {
      long src = base;
      for (int d = 0; d < rank; d++) {
        src += idx[d] * t.stride[d];
      }
      System.arraycopy(storage, (int) (src * es), out, (int) (i * es), es);
      for (int d = rank - 1; d >= 0; d--) {
        if (++idx[d] < t.size[d]) {
          break;
        }
        idx[d] = 0;
      }
    }
    return new TorchTensor(s.dtype(), t.size, out);
  }

  private static boolean isZip(byte[] head) {
    return head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
  }

  private static String hex(byte[] b, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(String.format("%02x", b[i] & 0xff));
    }
    return sb.toString();
  }

}
