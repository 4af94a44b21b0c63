package org.bsq.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.bsq.core.json.Json;

/**
 * Binds YAML or JSON configuration to records, rejecting unknown keys and bad values with <em>every</em> problem
 * listed at once, each with its key path ({@code strategy.alpha: must be > 0, was -1}).
 *
 * <p>Supported component types: primitives and their boxes, {@code String}, {@code Path}, enums (case-insensitive),
 * nested records, {@code List<T>} and {@code Map<String, T>} of those, and {@code JsonNode} (free-form, checked
 * later by its owner, e.g. a strategy's own parameter record bound with {@link #bind(JsonNode, Class, String)}).
 * Missing keys take the record's defaults: a record may declare {@code static T defaults()} whose values fill what the
 * file leaves out. Overrides ({@code --set a.b=value}) are applied to the tree before binding; their values are parsed
 * as YAML scalars.
 */
public final class ConfigBinder {
  private ConfigBinder() {}

  /** An empty mapping, to bind a record from its defaults only. */
  public static JsonNode emptyTree() {
    return JsonNodeFactory.instance.objectNode();
  }

  /**
   * Reads a YAML (or JSON) file ({@link ConfigDocument#read}), applies {@code key=value} overrides and binds it to
   * {@code type}, resolving relative paths by the document's rule.
   */
  public static <T> T load(Path file, List<String> overrides, Class<T> type) {
    return bind(ConfigDocument.read(file).withOverrides(overrides), "", type);
  }

  /**
   * Binds the subtree at the dotted key path {@code at} ("" for the whole document) to {@code type}, or throws a
   * {@link ConfigException} listing every problem with its full key path and where it came from (line and column, or
   * {@code --set}). {@code Path}-typed keys are resolved to absolute paths first ({@link ConfigDocument#resolvePath}).
   */
  public static <T> T bind(ConfigDocument doc, String at, Class<T> type) {
    JsonNode sub = doc.tree();
    if (!at.isEmpty()) {
      for (String part : at.split("\\.")) {
        sub = sub == null ? null : sub.get(part);
      }
    }
    if (sub == null || sub.isNull() || sub.isMissingNode()) {
      sub = emptyTree();
    }
    resolvePaths(sub, type, at, doc);
    try {
      return bind(sub, type, doc.source());
    } catch (ConfigException e) {
      List<String> located = new ArrayList<>();
      for (String problem : e.problems()) {
        located.add(locate(prefixed(at, problem), doc));
      }
      throw new ConfigException(doc.source(), located);
    }
  }

  private static String prefixed(String at, String problem) {
    if (at.isEmpty()) {
      return problem;
    }
    if (problem.startsWith("(top level)")) {
      return at + problem.substring("(top level)".length());
    }
    return problem.contains(": ") ? at + "." + problem : at + ": " + problem;
  }

  private static String locate(String problem, ConfigDocument doc) {
    int colon = problem.indexOf(": ");
    return colon <= 0 ? problem : problem + doc.describeOrigin(problem.substring(0, colon));
  }

  /** Rewrites every relative path of a {@code Path}-typed key under {@code node} to an absolute one (in place). */
  private static void resolvePaths(JsonNode node, Type type, String path, ConfigDocument doc) {
    Class<?> raw = rawClass(type);
    if (node == null) {
      return;
    }
    if (raw.isRecord() && node.isObject()) {
      ObjectNode obj = (ObjectNode) node;
      for (RecordComponent rc : raw.getRecordComponents()) {
        JsonNode child = obj.get(rc.getName());
        String childPath = join(path, rc.getName());
        if (child != null && child.isTextual() && rawClass(rc.getGenericType()) == Path.class) {
          obj.put(rc.getName(), doc.resolvePath(childPath, child.asText()).toString());
        } else {
          resolvePaths(child, rc.getGenericType(), childPath, doc);
        }
      }
    } else if (List.class.isAssignableFrom(raw) && node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode arr = (com.fasterxml.jackson.databind.node.ArrayNode) node;
      Type element = typeArgument(type, 0);
      for (int i = 0; i < arr.size(); i++) {
        String childPath = path + "[" + i + "]";
        if (arr.get(i).isTextual() && rawClass(element) == Path.class) {
          arr.set(i, JsonNodeFactory.instance.textNode(doc.resolvePath(childPath, arr.get(i).asText()).toString()));
        } else {
          resolvePaths(arr.get(i), element, childPath, doc);
        }
      }
    } else if (Map.class.isAssignableFrom(raw) && node.isObject()) {
      ObjectNode obj = (ObjectNode) node;
      Type value = typeArgument(type, 1);
      List<String> keys = new ArrayList<>();
      obj.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        String childPath = join(path, k);
        if (obj.get(k).isTextual() && rawClass(value) == Path.class) {
          obj.put(k, doc.resolvePath(childPath, obj.get(k).asText()).toString());
        } else {
          resolvePaths(obj.get(k), value, childPath, doc);
        }
      }
    }
  }

  /**
   * Binds a tree to {@code type}, or throws a {@link ConfigException} with every problem found. An absent section
   * ({@code null}, a YAML key without a value, a missing node) binds as an empty mapping: the record's defaults.
   * Paths are taken as written (see {@link #bind(ConfigDocument, String, Class)} for the file rule).
   */
  public static <T> T bind(JsonNode tree, Class<T> type, String source) {
    if (tree == null || tree.isNull() || tree.isMissingNode()) {
      tree = emptyTree();
    }
    List<String> problems = new ArrayList<>();
    JsonNode merged = coerceNumbers(withDefaults(tree.deepCopy(), type), type);
    check(merged, type, "", problems);
    if (problems.isEmpty()) {
      T value;
      try {
        value = Json.config().treeToValue(merged, type);
      } catch (IOException | IllegalArgumentException e) {
        Throwable root = e;
        while (root.getCause() != null) {
          root = root.getCause();
        }
        throw new ConfigException(source, List.of(root.getMessage() == null ? e.getMessage() : root.getMessage()));
      }
      validate(value, "", problems);
      if (problems.isEmpty()) {
        return value;
      }
    }
    throw new ConfigException(source, problems);
  }

  /**
   * The record's {@code defaults()} as a tree with {@code tree} merged over it (deeply); an {@link Alternatives}
   * record is taken as written.
   */
  private static JsonNode withDefaults(JsonNode tree, Class<?> type) {
    if (Alternatives.class.isAssignableFrom(type)) {
      return zeroFilled(tree, type);
    }
    Object defaults = defaultsOf(type);
    if (defaults == null || !tree.isObject()) {
      return tree;
    }
    ObjectNode base = Json.config().valueToTree(defaults);
    merge(base, (ObjectNode) tree, type);
    return base;
  }

  private static void merge(ObjectNode base, ObjectNode over, Class<?> type) {
    Iterator<Map.Entry<String, JsonNode>> it = over.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode b = base.get(e.getKey());
      Class<?> component = componentType(type, e.getKey());
      boolean whole = component != null && Alternatives.class.isAssignableFrom(component);
      if (whole) {
        base.set(e.getKey(), zeroFilled(e.getValue(), component));
      } else if (b != null && b.isObject() && e.getValue().isObject()) {
        merge((ObjectNode) b, (ObjectNode) e.getValue(), component == null ? Object.class : component);
      } else {
        base.set(e.getKey(), e.getValue());
      }
    }
  }

  /** An {@link Alternatives} mapping with its missing primitive keys at Java's zero values. */
  private static JsonNode zeroFilled(JsonNode tree, Class<?> type) {
    if (!tree.isObject() || !type.isRecord()) {
      return tree;
    }
    ObjectNode obj = (ObjectNode) tree;
    for (java.lang.reflect.RecordComponent c : type.getRecordComponents()) {
      if (!obj.has(c.getName()) && c.getType().isPrimitive()) {
        if (c.getType() == boolean.class) {
          obj.put(c.getName(), false);
        } else {
          obj.put(c.getName(), 0);
        }
      }
    }
    return obj;
  }

  /** The class of record component {@code name} of {@code type}, or null when there is none. */
  private static Class<?> componentType(Class<?> type, String name) {
    if (type == null || !type.isRecord()) {
      return null;
    }
    for (java.lang.reflect.RecordComponent c : type.getRecordComponents()) {
      if (c.getName().equals(name)) {
        return c.getType();
      }
    }
    return null;
  }

  private static Object defaultsOf(Class<?> type) {
    try {
      var m = type.getDeclaredMethod("defaults");
      if (java.lang.reflect.Modifier.isStatic(m.getModifiers()) && m.getReturnType() == type) {
        m.setAccessible(true);
        return m.invoke(null);
      }
    } catch (NoSuchMethodException e) {
      return null;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("defaults() of " + type.getSimpleName() + " failed", e);
    }
    return null;
  }

  /**
   * Turns numbers written as strings into numbers where the record expects a floating-point number: YAML 1.1 reads
   * {@code 3e-3} (no dot) as a string, and users write exactly that.
   */
  private static JsonNode coerceNumbers(JsonNode node, Type type) {
    Class<?> raw = rawClass(type);
    if (node == null) {
      return null;
    }
    boolean number = raw == double.class || raw == Double.class || raw == float.class || raw == Float.class;
    if (number && node.isTextual()) {
      try {
        return JsonNodeFactory.instance.numberNode(Double.parseDouble(node.asText().trim()));
      } catch (NumberFormatException e) {
        return node;
      }
    }
    if (raw.isRecord() && node.isObject()) {
      ObjectNode obj = (ObjectNode) node;
      for (RecordComponent rc : raw.getRecordComponents()) {
        JsonNode child = obj.get(rc.getName());
        if (child != null) {
          obj.set(rc.getName(), coerceNumbers(child, rc.getGenericType()));
        }
      }
    } else if (List.class.isAssignableFrom(raw) && node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode arr = (com.fasterxml.jackson.databind.node.ArrayNode) node;
      for (int i = 0; i < arr.size(); i++) {
        arr.set(i, coerceNumbers(arr.get(i), typeArgument(type, 0)));
      }
    } else if (Map.class.isAssignableFrom(raw) && node.isObject()) {
      ObjectNode obj = (ObjectNode) node;
      List<String> keys = new ArrayList<>();
      obj.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        obj.set(k, coerceNumbers(obj.get(k), typeArgument(type, 1)));
      }
    }
    return node;
  }

  private static void check(JsonNode node, Type type, String path, List<String> problems) {
    Class<?> raw = rawClass(type);
    String at = path.isEmpty() ? "(top level)" : path;
    if (raw == JsonNode.class) {
      return;
    }
    if (node == null || node.isNull()) {
      if (raw.isPrimitive()) {
        problems.add(at + ": is required");
      }
      return;
    }
    if (raw.isRecord()) {
      if (!node.isObject()) {
        problems.add(at + ": must be a mapping, was " + describe(node));
        return;
      }
      TreeSet<String> known = new TreeSet<>();
      for (RecordComponent rc : raw.getRecordComponents()) {
        known.add(rc.getName());
      }
      Iterator<String> names = node.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (!known.contains(name)) {
          problems.add(join(path, name) + ": unknown key; known keys here: " + known);
        }
      }
      for (RecordComponent rc : raw.getRecordComponents()) {
        check(node.get(rc.getName()), rc.getGenericType(), join(path, rc.getName()), problems);
      }
    } else if (List.class.isAssignableFrom(raw)) {
      if (!node.isArray()) {
        problems.add(at + ": must be a list, was " + describe(node));
        return;
      }
      Type element = typeArgument(type, 0);
      for (int i = 0; i < node.size(); i++) {
        check(node.get(i), element, path + "[" + i + "]", problems);
      }
    } else if (Map.class.isAssignableFrom(raw)) {
      if (!node.isObject()) {
        problems.add(at + ": must be a mapping, was " + describe(node));
        return;
      }
      Type value = typeArgument(type, 1);
      node.fields().forEachRemaining(e -> check(e.getValue(), value, join(path, e.getKey()), problems));
    } else if (raw == String.class || raw == Path.class) {
      if (!node.isValueNode() || node.isBoolean() && raw == Path.class) {
        problems.add(at + ": must be a " + (raw == Path.class ? "path" : "string") + ", was " + describe(node));
      }
    } else if (raw == boolean.class || raw == Boolean.class) {
      if (!node.isBoolean()) {
        problems.add(at + ": must be true or false, was " + describe(node));
      }
    } else if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
      if (!node.isIntegralNumber() || (raw == int.class || raw == Integer.class) && !node.canConvertToInt()) {
        problems.add(at + ": must be an integer, was " + describe(node));
      }
    } else if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
      if (!node.isNumber()) {
        problems.add(at + ": must be a number, was " + describe(node));
      } else if (!Double.isFinite(node.asDouble())) {
        problems.add(at + ": must be a finite number, was " + describe(node));
      }
    } else if (raw.isEnum()) {
      List<String> names = Arrays.stream(raw.getEnumConstants()).map(c -> ((Enum<?>) c).name().toLowerCase()).toList();
      if (!node.isTextual() || !names.contains(node.asText().toLowerCase())) {
        problems.add(at + ": must be one of " + names + ", was " + describe(node));
      }
    }
  }

  private static void validate(Object value, String path, List<String> problems) {
    if (value == null) {
      return;
    }
    if (value instanceof Validated v) {
      List<String> own = new ArrayList<>();
      v.validate(own);
      for (String p : own) {
        problems.add(path.isEmpty() ? p : path + "." + p);
      }
    }
    if (value.getClass().isRecord()) {
      for (RecordComponent rc : value.getClass().getRecordComponents()) {
        try {
          Object child = rc.getAccessor().invoke(value);
          if (child != null && child.getClass().isRecord()) {
            validate(child, join(path, rc.getName()), problems);
          }
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("cannot read " + rc, e);
        }
      }
    }
  }

  private static String describe(JsonNode node) {
    if (node.isTextual()) {
      return "'" + node.asText() + "'";
    }
    if (node.isContainerNode()) {
      return node.isArray() ? "a list" : "a mapping";
    }
    if (node.isNumber()) {
      return String.valueOf(node.numberValue());
    }
    return node.toString();
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private static Class<?> rawClass(Type t) {
    if (t instanceof Class<?> c) {
      return c;
    }
    if (t instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    return Object.class;
  }

  private static Type typeArgument(Type t, int i) {
    if (t instanceof ParameterizedType p && p.getActualTypeArguments().length > i) {
      return p.getActualTypeArguments()[i];
    }
    return Object.class;
  }
}
