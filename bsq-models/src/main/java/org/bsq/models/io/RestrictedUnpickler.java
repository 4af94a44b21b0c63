package org.bsq.models.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;
import org.bsq.models.io.PickleRefs.StorageRef;
import org.bsq.models.io.PickleRefs.StorageType;
import org.bsq.models.io.PickleRefs.TensorRef;

/**
 * A pickle reader (Razorvine's {@link Unpickler}) that resolves only the globals a PyTorch state-dict checkpoint
 * needs and refuses every other one by name before anything uses it. Nothing is ever executed: a resolved global is a
 * Java constructor of a plain value (a map, a pending tensor, a storage type), and every opcode that names a global
 * (GLOBAL, STACK_GLOBAL, INST, OBJ) or an extension-registry code (EXT1/2/4) goes through {@link #resolve}. Dicts keep
 * their insertion order (EMPTY_DICT, DICT and SETITEMS are handled here for that). Persistent ids (PyTorch's storage references) go to the given loader.
 */
final class RestrictedUnpickler extends Unpickler {
  private static final short GLOBAL = 'c';
  private static final short STACK_GLOBAL = 0x93;
  private static final short INST = 'i';
  private static final short OBJ = 'o';
  private static final short PERSID = 'P';
  private static final short BINPERSID = 'Q';
  private static final short EXT1 = 0x82;
  private static final short EXT2 = 0x83;
  private static final short EXT4 = 0x84;
  private static final short EMPTY_DICT = '}';
  private static final short DICT = 'd';
  private static final short SETITEMS = 'u';
  private static final short BINSTRING = 'T';
  private static final short BINUNICODE = 'X';
  private static final short BINBYTES = 'B';
  private static final short LONG4 = 0x8b;
  private static final short BINUNICODE8 = 0x8d;
  private static final short BINBYTES8 = 0x8e;
  private static final short BYTEARRAY8 = 0x96;

  /** The globals a checkpoint may reference; everything else is refused with its name. */
  static final Map<String, IObjectConstructor> ALLOWED = allowed();

  private final String source;
  private final Function<Object[], Object> persistentLoader;
  private final long maxLength;

  /**
   * @param source what is being read, for error messages (file name and part)
   * @param persistentLoader receives each persistent id (a tuple, as {@code Object[]}) and returns its value
   * @param maxLength the size of what is read: a string, bytes or long whose length prefix claims more is refused
   *     before anything is allocated for it (a corrupt or hostile length would otherwise allocate up to 2^63 bytes)
   */
  RestrictedUnpickler(String source, Function<Object[], Object> persistentLoader, long maxLength) {
    this.source = source;
    this.persistentLoader = persistentLoader;
    this.maxLength = maxLength;
  }

  /** Reads one pickle from {@code in} (which must not be used by the caller in between). */
  Object read(InputStream in) throws IOException {
    return load(new PushbackInputStream(in, 8));
  }

  @Override
  protected Object dispatch(short key) throws PickleException, IOException {
    switch (key) {
      case GLOBAL -> {
        String module = PickleUtils.readline(input);
        String name = PickleUtils.readline(input);
        stack.add(resolve(module, name));
      }
      case STACK_GLOBAL -> {
        Object name = stack.pop();
        Object module = stack.pop();
        stack.add(resolve(String.valueOf(module), String.valueOf(name)));
      }
      case INST -> {
        String module = PickleUtils.readline(input);
        String name = PickleUtils.readline(input);
        resolve(module, name);
        throw refused("uses opcode INST (protocol 0/1 class instance) for '" + module + "." + name + "'");
      }
      case OBJ -> throw refused("uses opcode OBJ (protocol 1 class instance)");
      case EXT1, EXT2, EXT4 -> throw refused("references a global through the copyreg extension registry (EXT"
          + (key == EXT1 ? 1 : key == EXT2 ? 2 : 4) + "), which cannot be checked by name");
      case PERSID -> stack.add(persistentLoader.apply(new Object[] {PickleUtils.readline(input)}));
      case BINPERSID -> {
        Object pid = stack.pop();
        if (!(pid instanceof Object[] tuple)) {
          throw refused("has a persistent id that is not a tuple: " + describe(pid));
        }
        stack.add(persistentLoader.apply(tuple));
      }
      case EMPTY_DICT -> stack.add(new LinkedHashMap<>());
      case DICT -> {
        List<Object> items = stack.pop_all_since_marker();
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < items.size(); i += 2) {
          map.put(items.get(i), items.get(i + 1));
        }
        stack.add(map);
      }
      case SETITEMS -> {
        List<Object> items = stack.pop_all_since_marker();
        if (!(stack.peek() instanceof Map<?, ?> target)) {
          throw refused("applies SETITEMS to " + describe(stack.peek()) + ", which is not a dict");
        }
        @SuppressWarnings("unchecked")
        Map<Object, Object> map = (Map<Object, Object>) target;
        for (int i = 0; i + 1 < items.size(); i += 2) {
          map.put(items.get(i), items.get(i + 1));
        }
      }
      case BINSTRING, BINUNICODE, BINBYTES, LONG4 -> {
        checkLength(key, 4);
        return super.dispatch(key);
      }
      case BINUNICODE8, BINBYTES8, BYTEARRAY8 -> {
        checkLength(key, 8);
        return super.dispatch(key);
      }
      default -> {
        return super.dispatch(key);
      }
    }
    return NO_RETURN_VALUE;
  }

  /** Peeks at a little-endian length prefix of {@code size} bytes and refuses one beyond {@link #maxLength}. */
  private void checkLength(short opcode, int size) throws IOException {
    PushbackInputStream in = (PushbackInputStream) input;
    byte[] prefix = in.readNBytes(size);
    in.unread(prefix);
    if (prefix.length < size) {
      return; // the opcode's own read reports the truncation
    }
    long length = 0;
    for (int i = size - 1; i >= 0; i--) {
      length = (length << 8) | (prefix[i] & 0xff);
    }
    if (size == 4) {
      length = (int) length; // signed, as CPython reads it
    }
    if (length < 0 || length > maxLength) {
      throw refused("has an opcode 0x" + Integer.toHexString(opcode) + " claiming " + length + " bytes, more than the "
          + maxLength + " there are (corrupt file)");
    }
  }

  private IObjectConstructor resolve(String module, String name) {
    String qualified = module + "." + name;
    IObjectConstructor c = ALLOWED.get(qualified);
    if (c == null) {
      throw new IllegalArgumentException(source + " references global '" + qualified + "', which is not allowed: "
          + "a checkpoint may hold only tensors, dicts, lists, tuples, numbers and strings (allowed globals: "
          + new TreeSet<>(ALLOWED.keySet()) + "). Nothing was executed. A pickled whole model (torch.save(model)) "
          + "references its classes: save model.state_dict() instead");
    }
    return c;
  }

  private IllegalArgumentException refused(String what) {
    return new IllegalArgumentException(source + " " + what + "; only PyTorch state-dict checkpoints are read");
  }

  static String describe(Object o) {
    return o == null ? "None" : o.getClass().getSimpleName() + " " + o;
  }

  /** An {@code collections.OrderedDict}: a map that accepts (and ignores) the instance state pickled after it. */
  public static final class OrderedDictValue extends LinkedHashMap<Object, Object> {
    private static final long serialVersionUID = 1L;

    /** BUILD with the instance dict (PyTorch's {@code _metadata}: module versions, not needed here). */
    public void __setstate__(LinkedHashMap<?, ?> state) {
      // the state dict's _metadata holds per-module version numbers; the tensors are all that is read
    }
  }

  private static Map<String, IObjectConstructor> allowed() {
    Map<String, IObjectConstructor> m = new LinkedHashMap<>();
    m.put("collections.OrderedDict", args -> {
      OrderedDictValue d = new OrderedDictValue();
      if (args.length > 0 && args[0] instanceof List<?> pairs) {
        for (Object p : pairs) {
          Object[] kv = (Object[]) p;
          d.put(kv[0], kv[1]);
        }
      }
      return d;
    });
    m.put("torch._utils._rebuild_tensor_v2", args -> rebuildTensor("torch._utils._rebuild_tensor_v2", args, 6));
    m.put("torch._utils._rebuild_tensor", args -> rebuildTensor("torch._utils._rebuild_tensor", args, 4));
    m.put("torch._utils._rebuild_parameter", args -> {
      if (args.length < 1 || !(args[0] instanceof TensorRef)) {
        throw new IllegalArgumentException("torch._utils._rebuild_parameter needs a tensor as first argument, was "
            + (args.length == 0 ? "nothing" : describe(args[0])));
      }
      return args[0];
    });
    for (TorchDType t : TorchDType.values()) {
      String name = "torch." + t.storageClass();
      m.put(name, args -> {
        throw new IllegalArgumentException(name + " may appear only as a storage type in a persistent id, "
            + "was called");
      });
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  /** The storage type object the GLOBAL {@code torch.XStorage} resolves to (the constructor itself). */
  static TorchDType storageTypeOf(Object o) {
    for (TorchDType t : TorchDType.values()) {
      if (ALLOWED.get("torch." + t.storageClass()) == o) {
        return t;
      }
    }
    return null;
  }

  private static TensorRef rebuildTensor(String fn, Object[] args, int minArgs) {
    if (args.length < minArgs || !(args[0] instanceof StorageRef storage)) {
      throw new IllegalArgumentException(fn + " needs (storage, storage_offset, size, stride, ...) with a storage "
          + "persistent id first, was " + args.length + " arguments" + (args.length > 0 ? " starting with "
          + describe(args[0]) : ""));
    }
    long offset = toLong(fn + " storage_offset", args[1]);
    Object[] size = tuple(fn + " size", args[2]);
    Object[] stride = tuple(fn + " stride", args[3]);
    if (size.length != stride.length) {
      throw new IllegalArgumentException(fn + " size and stride must have the same length, was " + size.length
          + " and " + stride.length);
    }
    int[] s = new int[size.length];
    long[] st = new long[size.length];
    for (int i = 0; i < s.length; i++) {
      long d = toLong(fn + " size", size[i]);
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(fn + " size[" + i + "] must be in [0, 2^31), was " + d);
      }
      s[i] = (int) d;
      st[i] = toLong(fn + " stride", stride[i]);
    }
    return new TensorRef(storage, offset, s, st);
  }

  static long toLong(String what, Object o) {
    if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte) {
      return ((Number) o).longValue();
    }
    throw new IllegalArgumentException(what + " must be an integer, was " + describe(o));
  }

  static Object[] tuple(String what, Object o) {
    if (o instanceof Object[] t) {
      return t;
    }
    if (o instanceof List<?> l) {
      return l.toArray();
    }
    throw new IllegalArgumentException(what + " must be a tuple, was " + describe(o));
  }

  /** Storage type classes accepted, for messages. */
  static List<String> storageClasses() { return new ArrayList<>(TorchDType.storageClasses()); }
}
