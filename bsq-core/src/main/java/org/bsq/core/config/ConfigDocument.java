package org.bsq.core.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.json.Json;

/**
 * A configuration file as read: its tree, where each key came from (line and column in the file, or a {@code --set}
 * override) and the folder its relative paths are relative to. Immutable; {@link #withOverrides} returns a new one.
 *
 * <p>Reading is strict: a YAML syntax error, a duplicate key, a number that is not finite ({@code .nan},
 * {@code .inf}) and an empty or comment-only file are errors that name the line, the column and the key.
 *
 * <p><b>Relative paths.</b> A path written in the file is relative to the file's folder; a path given with
 * {@code --set} is relative to the working directory (as every command-line path). {@link ConfigBinder} resolves
 * every {@code Path}-typed key to an absolute path with this rule before binding.
 */
public final class ConfigDocument {
  /** The origin of keys given on the command line. */
  public static final String OVERRIDE = "--set";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final String source;
  private final Path baseDir;
  private final ObjectNode tree;
  private final Map<String, String> origins;

  private ConfigDocument(String source, Path baseDir, ObjectNode tree, Map<String, String> origins) {
    this.source = source;
    this.baseDir = baseDir.toAbsolutePath().normalize();
    this.tree = tree;
    this.origins = Map.copyOf(origins);
  }

  /** Reads a YAML (or JSON) file; its relative paths resolve against its folder. */
  public static ConfigDocument read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("config file must exist, was '" + file + "'");
    }
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    Path dir = file.toAbsolutePath().getParent();
    return parse(text, file.toString(), dir);
  }

  /**
   * Parses configuration text.
   *
   * @param source how errors name it (a file name)
   * @param baseDir the folder relative paths in the text are relative to
   */
  public static ConfigDocument parse(String text, String source, Path baseDir) {
    Map<String, String> origins = new HashMap<>();
    List<String> problems = new ArrayList<>();
    JsonNode root;
    try (JsonParser p = Json.config().createParser(text)) {
      p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new ConfigException(source, List.of("the file is empty or holds only comments; an experiment needs at "
            + "least its strategy section (see configs/ for complete examples)"));
      }
      root = readValue(p, origins, problems);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source, List.of(syntaxError(e)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot parse " + source + ": " + e.getMessage(), e);
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    if (root.isNull()) {
      throw new ConfigException(source, List.of("the file is empty or holds only comments; an experiment needs at "
          + "least its strategy section (see configs/ for complete examples)"));
    }
    if (!root.isObject()) {
      throw new ConfigException(source, List.of("(top level): must be a mapping of keys, was " + root.getNodeType()
          + " (line 1)"));
    }
    return new ConfigDocument(source, baseDir, (ObjectNode) root, origins);
  }

  /** A document of a tree built in code (every key's origin unknown); relative paths resolve against {@code baseDir}. */
  public static ConfigDocument of(ObjectNode tree, String source, Path baseDir) {
    return new ConfigDocument(source, baseDir, tree.deepCopy(), Map.of());
  }

  private static JsonNode readValue(JsonParser p, Map<String, String> origins, List<String> problems)
      throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT: {
        ObjectNode obj = NODES.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          origins.put(path(p.getParsingContext()), at(p.currentTokenLocation()));
          p.nextToken();
          obj.set(name, readValue(p, origins, problems));
        }
        return obj;
      }
      case START_ARRAY: {
        ArrayNode arr = NODES.arrayNode();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          origins.put(path(p.getParsingContext()), at(p.currentTokenLocation()));
          arr.add(readValue(p, origins, problems));
        }
        return arr;
      }
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT:
            return NODES.numberNode(p.getIntValue());
          case LONG:
            return NODES.numberNode(p.getLongValue());
          default:
            return NODES.numberNode(p.getBigIntegerValue());
        }
      case VALUE_NUMBER_FLOAT: {
        String text = p.getText();
        double v;
        try {
          v = p.getDoubleValue();
        } catch (JsonProcessingException e) {
          v = Double.NaN;
        }
        if (!Double.isFinite(v)) {
          problems.add(path(p.getParsingContext()) + ": must be a finite number, was '" + text + "' ("
              + at(p.currentTokenLocation()) + ")");
          return NODES.textNode(text);
        }
        return NODES.numberNode(v);
      }
      case VALUE_STRING:
        return NODES.textNode(p.getText());
      case VALUE_TRUE:
        return NODES.booleanNode(true);
      case VALUE_FALSE:
        return NODES.booleanNode(false);
      case VALUE_NULL:
        return NODES.nullNode();
      default:
        throw new IllegalStateException("unexpected YAML token " + t + " at " + at(p.currentTokenLocation()));
    }
  }

  private static String syntaxError(JsonProcessingException e) {
    List<String> lines = e.getOriginalMessage().lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
    StringBuilder what = new StringBuilder(lines.isEmpty() ? "syntax error" : lines.get(0));
    for (String l : lines.subList(Math.min(1, lines.size()), lines.size())) {
      if (l.startsWith("expected") || l.startsWith("found")) {
        what.append("; ").append(l);
      }
    }
    String key = "";
    if (e.getProcessor() instanceof JsonParser p && p.getParsingContext() != null) {
      String path = path(p.getParsingContext());
      key = path.isEmpty() ? "" : " (in " + path + ")";
    }
    JsonLocation loc = e.getLocation();
    String where = loc == null ? "" : "line " + loc.getLineNr() + ", column " + loc.getColumnNr() + key + ": ";
    return "cannot parse: " + where + what;
  }

  /** The dotted key path of a parser context ({@code strategy.params.lrMilestones[0]}). */
  static String path(JsonStreamContext context) {
    List<String> parts = new ArrayList<>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        parts.add(0, "[" + Math.max(0, c.getCurrentIndex()) + "]");
      } else if (c.inObject() && c.getCurrentName() != null) {
        parts.add(0, c.getCurrentName());
      }
    }
    StringBuilder b = new StringBuilder();
    for (String part : parts) {
      if (b.length() > 0 && !part.startsWith("[")) {
        b.append('.');
      }
      b.append(part);
    }
    return b.toString();
  }

  private static String at(JsonLocation loc) {
    return "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
  }

  /**
   * Applies {@code a.b.c=value} overrides (values parsed as YAML scalars or flow collections; intermediate mappings
   * created); the overridden keys' origin becomes {@value #OVERRIDE}.
   */
  public ConfigDocument withOverrides(List<String> overrides) {
    ObjectNode copy = tree.deepCopy();
    Map<String, String> o = new HashMap<>(origins);
    List<String> problems = new ArrayList<>();
    for (String override : overrides) {
      int eq = override.indexOf('=');
      if (eq <= 0) {
        problems.add("override must look like key.path=value, was '" + override + "'");
        continue;
      }
      String key = override.substring(0, eq).trim();
      String[] path = key.split("\\.");
      if (java.util.Arrays.stream(path).anyMatch(String::isBlank)) {
        problems.add("override key must be a dotted path such as strategy.params.alpha, was '" + key + "'");
        continue;
      }
      String raw = override.substring(eq + 1);
      JsonNode value;
      if (raw.isEmpty()) {
        value = NODES.textNode("");
      } else {
        List<String> valueProblems = new ArrayList<>();
        try (JsonParser p = Json.config().createParser(raw)) {
          p.nextToken();
          value = readValue(p, new HashMap<>(), valueProblems);
        } catch (IOException | RuntimeException e) {
          value = NODES.textNode(raw);
        }
        for (String vp : valueProblems) {
          problems.add("--set " + key + vp.substring(vp.indexOf(':')).replaceAll(" \\(line [^)]*\\)$", ""));
        }
      }
      ObjectNode node = copy;
      for (int i = 0; i < path.length - 1; i++) {
        JsonNode child = node.get(path[i]);
        if (child == null || !child.isObject()) {
          child = node.putObject(path[i]);
        }
        node = (ObjectNode) child;
      }
      node.set(path[path.length - 1], value);
      o.keySet().removeIf(k -> k.equals(key) || k.startsWith(key + ".") || k.startsWith(key + "["));
      o.put(key, OVERRIDE);
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    return new ConfigDocument(source, baseDir, copy, o);
  }

  /** A deep copy of the tree. */
  public ObjectNode tree() {
    return tree.deepCopy();
  }

  /** How errors name the document (its file). */
  public String source() {
    return source;
  }

  /** The folder the file's relative paths resolve against. */
  public Path baseDir() {
    return baseDir;
  }

  /**
   * Where the key at {@code path} came from: {@code "line L, column C"}, {@value #OVERRIDE}, or null when unknown. A
   * key inside an overridden subtree reports the override.
   */
  public String origin(String path) {
    for (String p = path; !p.isEmpty(); p = parent(p)) {
      String o = origins.get(p);
      if (o != null) {
        return o.equals(OVERRIDE) || p.equals(path) ? o : null;
      }
    }
    return null;
  }

  /**
   * Where the key at {@code path} came from, as errors append it: {@code " (line L, column C)"},
   * {@code " (from --set)"}, or "" when unknown.
   */
  public String describeOrigin(String path) {
    String o = origin(path);
    return o == null ? "" : OVERRIDE.equals(o) ? " (from --set)" : " (" + o + ")";
  }

  private static String parent(String path) {
    int dot = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
    return dot < 0 ? "" : path.substring(0, dot);
  }

  /** A relative path resolved by the rule above, for the key at {@code keyPath}; absolute paths are only normalized. */
  public Path resolvePath(String keyPath, String value) {
    Path p = Path.of(value);
    if (p.isAbsolute()) {
      return p.normalize();
    }
    Path base = OVERRIDE.equals(origin(keyPath)) ? Path.of("").toAbsolutePath() : baseDir;
    return base.resolve(p).normalize();
  }
}
