package org.bsq.bench.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bsq.core.config.ConfigDocument;
import org.bsq.core.config.ConfigException;
import org.bsq.core.json.Json;

/**
 * A sweep file (docs/sweeps.md): a name, runs and grids of runs over experiment files, each run an experiment file
 * with {@code --set} overrides, possibly referring to other runs of the sweep ({@link Reference}). Reading checks
 * everything that does not need binding: keys, ids ({@value #ID_RULE}, unique across runs and grid expansions),
 * references (known ids, well formed, no cycle). Immutable; {@link #withOverrides} returns a new one.
 *
 * <p>Overrides apply in this order (a later one wins): the sweep's {@code set}, the run's (or grid entry's) {@code
 * set}, the grid entry's axis values, then the command line's ({@link #withOverrides}).
 */
public final class SweepFile {
  /** The rule for run ids and sweep names. */
  public static final String ID_RULE = "[a-z0-9._-]+";
  private static final Pattern ID = Pattern.compile(ID_RULE);
  private static final Pattern WHOLE_REFERENCE = Pattern.compile("\\$\\{[^}]*}");
  private static final Pattern TEMPLATE_KEY = Pattern.compile("\\{([^{}]+)}");
  private static final List<String> TOP_KEYS = List.of("name", "description", "set", "runs", "grid");
  private static final List<String> RUN_KEYS = List.of("id", "config", "set");
  private static final List<String> GRID_KEYS = List.of("id", "config", "axes", "set");

  /**
   * One run of the sweep, before binding.
   *
   * @param id the run's id (its folder's name)
   * @param config the experiment file (absolute)
   * @param overrides {@code KEY=VALUE} overrides in order, references not yet substituted
   */
  public record RunSpec(String id, Path config, List<String> overrides) {
    public RunSpec {
      overrides = List.copyOf(overrides);
    }

    /** The references in the overrides, in order. */
    public List<Reference> references() {
      List<Reference> refs = new ArrayList<>();
      for (String o : overrides) {
        refs.addAll(Reference.find(o.substring(o.indexOf('=') + 1), id, new ArrayList<>()));
      }
      return refs;
    }

    /** The ids this run refers to (its dependencies), in order of first reference. */
    public List<String> dependencies() {
      Set<String> ids = new LinkedHashSet<>();
      references().forEach(r -> ids.add(r.id()));
      return List.copyOf(ids);
    }
  }

  private final String name;
  private final String description;
  private final String source;
  private final List<RunSpec> runs;

  private SweepFile(String name, String description, String source, List<RunSpec> runs) {
    this.name = name;
    this.description = description;
    this.source = source;
    this.runs = List.copyOf(runs);
  }

  /** Reads a sweep file; its experiment files are relative to its folder. */
  public static SweepFile read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("sweep file must exist, was '" + file + "'");
    }
    try {
      String stem = file.getFileName().toString().replaceAll("\\.(ya?ml|json)$", "");
      return parse(Files.readString(file), file.toString(), file.toAbsolutePath().getParent(), stem);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read sweep file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses sweep text.
   *
   * @param source how errors name it (a file name)
   * @param baseDir the folder its experiment files are relative to
   * @throws ConfigException listing every problem, each with its key and line
   */
  public static SweepFile parse(String text, String source, Path baseDir) {
    return parse(text, source, baseDir, null);
  }

  private static SweepFile parse(String text, String source, Path baseDir, String defaultName) {
    ConfigDocument doc = ConfigDocument.parse(text, source, baseDir);
    ObjectNode tree = doc.tree();
    List<String> problems = new ArrayList<>();
    unknownKeys(tree, "", TOP_KEYS, doc, problems);
    String name = text(tree, "name", doc, problems);
    if (name == null) {
      name = defaultName;
    }
    if (name == null) {
      problems.add("name: required (the sweep's output folder is runs/sweeps/NAME)");
    } else if (!ID.matcher(name).matches()) {
      problems.add("name: must match " + ID_RULE + ", was '" + name + "'" + doc.describeOrigin("name"));
    }
    String description = text(tree, "description", doc, problems);
    List<String> common = sets(tree, "set", doc, problems);
    List<RunSpec> runs = new ArrayList<>();
    Map<String, String> where = new LinkedHashMap<>();
    JsonNode runList = list(tree, "runs", doc, problems);
    for (int i = 0; i < runList.size(); i++) {
      String at = "runs[" + i + "]";
      JsonNode r = runList.get(i);
      if (!r.isObject()) {
        problems.add(at + ": must be a mapping with id, config and set, was " + r.getNodeType());
        continue;
      }
      unknownKeys(r, at + ".", RUN_KEYS, doc, problems);
      String id = required(r, at, "id", doc, problems);
      Path config = config(r, at, doc, problems);
      List<String> overrides = new ArrayList<>(common);
      overrides.addAll(sets(r, at + ".set", doc, problems));
      if (id != null && config != null) {
        addRun(new RunSpec(id, config, overrides), at, doc, where, runs, problems);
      }
    }
    JsonNode grids = list(tree, "grid", doc, problems);
    for (int i = 0; i < grids.size(); i++) {
      expandGrid(grids.get(i), "grid[" + i + "]", common, doc, where, runs, problems);
    }
    if (problems.isEmpty() && runs.isEmpty()) {
      problems.add("(top level): a sweep needs at least one run (runs: or grid:)");
    }
    checkReferences(runs, problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    return new SweepFile(name, description, source, runs);
  }

  private static void expandGrid(JsonNode g, String at, List<String> common, ConfigDocument doc,
                                 Map<String, String> where, List<RunSpec> runs, List<String> problems) {
    if (!g.isObject()) {
      problems.add(at + ": must be a mapping with id, config, axes and set, was " + g.getNodeType());
      return;
    }
    unknownKeys(g, at + ".", GRID_KEYS, doc, problems);
    String template = required(g, at, "id", doc, problems);
    Path config = config(g, at, doc, problems);
    List<String> entrySets = sets(g, at + ".set", doc, problems);
    JsonNode axes = g.path("axes");
    Map<String, List<JsonNode>> axisValues = new LinkedHashMap<>();
    if (!axes.isObject() || axes.isEmpty()) {
      problems.add(at + ".axes: required, a mapping of keys to lists of values (e.g. seed: [1, 2, 3])"
          + doc.describeOrigin(at + ".axes"));
    } else {
      for (Iterator<Map.Entry<String, JsonNode>> it = axes.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isArray() || e.getValue().isEmpty()) {
          problems.add(at + ".axes." + e.getKey() + ": must be a non-empty list of values, was " + e.getValue());
          continue;
        }
        List<JsonNode> values = new ArrayList<>();
        e.getValue().forEach(values::add);
        axisValues.put(e.getKey(), values);
      }
    }
    if (template == null || config == null || axisValues.size() != axes.size()) {
      return;
    }
    List<String> keys = new ArrayList<>(axisValues.keySet());
    int[] index = new int[keys.size()];
    while (true) {
      Map<String, JsonNode> point = new LinkedHashMap<>();
      for (int k = 0; k < keys.size(); k++) {
        point.put(keys.get(k), axisValues.get(keys.get(k)).get(index[k]));
      }
      List<String> overrides = new ArrayList<>(common);
      overrides.addAll(entrySets);
      point.forEach((k, v) -> overrides.add(k + "=" + raw(v)));
      String id = expandTemplate(template, point, config, overrides, at, problems);
      if (id == null) {
        return; // the template's problem is the same for every point
      }
      addRun(new RunSpec(id, config, overrides), at + " " + point, doc, where, runs, problems);
      int k = keys.size() - 1; // the last axis varies fastest
      while (k >= 0 && ++index[k] == axisValues.get(keys.get(k)).size()) {
        index[k] = 0;
        k--;
      }
      if (k < 0) {
        return;
      }
    }
  }

  private static String expandTemplate(String template, Map<String, JsonNode> point, Path config,
                                       List<String> overrides, String at, List<String> problems) {
    Matcher m = TEMPLATE_KEY.matcher(template);
    StringBuilder b = new StringBuilder();
    ObjectNode experiment = null;
    while (m.find()) {
      String key = m.group(1).trim();
      JsonNode v = point.get(key);
      if (v == null) {
        if (experiment == null) {
          try {
            experiment = ConfigDocument.read(config).withOverrides(overrides).tree();
          } catch (IllegalArgumentException e) {
            problems.add(at + ".id: the template needs the experiment's " + key + ", but " + e.getMessage());
            return null;
          }
        }
        v = experiment;
        for (String part : key.split("\\.")) {
          v = v.path(part);
        }
        if (v.isMissingNode() || v.isContainerNode()) {
          problems.add(at + ".id: template key {" + key + "} must be an axis " + point.keySet() + " or a value of "
              + "the experiment file, was neither");
          return null;
        }
      }
      m.appendReplacement(b, Matcher.quoteReplacement(compact(v)));
    }
    m.appendTail(b);
    return b.toString();
  }

  /** A value as an id shows it: integers as digits, small and large numbers as 3e-3, others as their text. */
  static String compact(JsonNode v) {
    if (v.isNumber()) {
      BigDecimal d = v.decimalValue().stripTrailingZeros();
      if (d.scale() <= 0 && d.abs().compareTo(BigDecimal.valueOf(1_000_000)) < 0) {
        return d.toPlainString();
      }
      double x = d.doubleValue();
      if (x != 0 && (Math.abs(x) < 1e-2 || Math.abs(x) >= 1e6)) {
        return scientific(d);
      }
      return d.toPlainString();
    }
    return v.asText();
  }

  private static String scientific(BigDecimal d) {
    // unscaled U with scale S is U x 10^-S; with U's first digit before the point the exponent grows by len-1
    String digits = d.unscaledValue().abs().toString();
    int exponent = -d.scale() + digits.length() - 1;
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return (d.signum() < 0 ? "-" : "") + mantissa + "e" + exponent;
  }

  private static void addRun(RunSpec run, String at, ConfigDocument doc, Map<String, String> where,
                             List<RunSpec> runs, List<String> problems) {
    if (!ID.matcher(run.id()).matches()) {
      problems.add(at + ".id: must match " + ID_RULE + " (it names the run's folder), was '" + run.id() + "'");
      return;
    }
    String first = where.putIfAbsent(run.id(), at);
    if (first != null) {
      problems.add(at + ".id: ids must be unique, '" + run.id() + "' is also the id of " + first);
      return;
    }
    runs.add(run);
  }

  private static void checkReferences(List<RunSpec> runs, List<String> problems) {
    Map<String, RunSpec> byId = new LinkedHashMap<>();
    runs.forEach(r -> byId.put(r.id(), r));
    for (RunSpec r : runs) {
      for (String o : r.overrides()) {
        for (Reference ref : Reference.find(o.substring(o.indexOf('=') + 1), "run " + r.id() + " --set " + o,
            problems)) {
          if (!byId.containsKey(ref.id())) {
            problems.add("run " + r.id() + ": reference " + ref + " must name a run of this sweep, '" + ref.id()
                + "' is none (known: " + byId.keySet() + ")");
          } else if (ref.id().equals(r.id())) {
            problems.add("run " + r.id() + ": reference " + ref + " must name another run, was the run itself");
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      return;
    }
    // a cycle: depth-first search, reporting the first cycle found
    Map<String, Integer> mark = new LinkedHashMap<>();
    for (RunSpec r : runs) {
      List<String> cycle = cycleFrom(r.id(), byId, mark, new ArrayList<>());
      if (cycle != null) {
        problems.add("runs must not depend on each other in a cycle, found " + String.join(" -> ", cycle));
        return;
      }
    }
  }

  private static List<String> cycleFrom(String id, Map<String, RunSpec> byId, Map<String, Integer> mark,
                                        List<String> stack) {
    Integer m = mark.get(id);
    if (m != null && m == 2) {
      return null;
    }
    if (m != null) {
      List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(id), stack.size()));
      cycle.add(id);
      return cycle;
    }
    mark.put(id, 1);
    stack.add(id);
    for (String dep : byId.get(id).dependencies()) {
      List<String> c = cycleFrom(dep, byId, mark, stack);
      if (c != null) {
        return c;
      }
    }
    stack.remove(stack.size() - 1);
    mark.put(id, 2);
    return null;
  }

  private static void unknownKeys(JsonNode node, String prefix, List<String> known, ConfigDocument doc,
                                  List<String> problems) {
    node.fieldNames().forEachRemaining(k -> {
      if (!known.contains(k)) {
        problems.add(prefix + k + ": unknown key; known keys here: " + known + doc.describeOrigin(prefix + k));
      }
    });
  }

  private static String text(JsonNode node, String key, ConfigDocument doc, List<String> problems) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isValueNode()) {
      problems.add(key + ": must be a text, was " + v.getNodeType() + doc.describeOrigin(key));
      return null;
    }
    return v.asText();
  }

  private static String required(JsonNode node, String at, String key, ConfigDocument doc, List<String> problems) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull() || !v.isValueNode() || v.asText().isBlank()) {
      problems.add(at + "." + key + ": required, a text" + (v == null ? "" : ", was " + v)
          + doc.describeOrigin(at + "." + key));
      return null;
    }
    return v.asText();
  }

  private static Path config(JsonNode node, String at, ConfigDocument doc, List<String> problems) {
    String c = required(node, at, "config", doc, problems);
    if (c == null) {
      return null;
    }
    Path p = doc.baseDir().resolve(c).normalize();
    if (!Files.isRegularFile(p)) {
      problems.add(at + ".config: must be an experiment file (relative to the sweep file's folder), was '" + c
          + "' (" + p + " does not exist)" + doc.describeOrigin(at + ".config"));
      return null;
    }
    return p;
  }

  private static JsonNode list(JsonNode node, String key, ConfigDocument doc, List<String> problems) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return Json.files().createArrayNode();
    }
    if (!v.isArray()) {
      problems.add(key + ": must be a list, was " + v.getNodeType() + doc.describeOrigin(key));
      return Json.files().createArrayNode();
    }
    return v;
  }

  /** A {@code set:} mapping as {@code KEY=VALUE} overrides (keys are dotted paths, values YAML flow text). */
  private static List<String> sets(JsonNode node, String at, ConfigDocument doc, List<String> problems) {
    String key = at.contains(".") ? at.substring(at.lastIndexOf('.') + 1) : at;
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return List.of();
    }
    if (!v.isObject()) {
      problems.add(at + ": must be a mapping of dotted keys to values (e.g. {strategy.params.alpha: 0.005}), was "
          + v.getNodeType() + doc.describeOrigin(at));
      return List.of();
    }
    List<String> out = new ArrayList<>();
    v.fields().forEachRemaining(e -> out.add(e.getKey() + "=" + raw(e.getValue())));
    return out;
  }

  /** A value as {@code --set} text: JSON (valid YAML flow), a text that is one reference left bare. */
  static String raw(JsonNode v) {
    if (v.isTextual() && WHOLE_REFERENCE.matcher(v.asText()).matches()) {
      return v.asText();
    }
    return Json.line(v);
  }

  /**
   * This sweep with {@code KEY=VALUE} overrides (e.g. the command line's {@code --set}) applied to every run after
   * its own; values may hold references.
   *
   * @throws IllegalArgumentException naming a malformed override or reference
   */
  public SweepFile withOverrides(List<String> overrides) {
    List<String> problems = new ArrayList<>();
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0 || o.substring(0, eq).isBlank()) {
        problems.add("--set must look like key.path=value, was '" + o + "'");
      }
    }
    List<RunSpec> out = new ArrayList<>();
    for (RunSpec r : runs) {
      List<String> all = new ArrayList<>(r.overrides());
      all.addAll(overrides);
      out.add(new RunSpec(r.id(), r.config(), all));
    }
    if (problems.isEmpty()) {
      checkReferences(out, problems);
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    return new SweepFile(name, description, source, out);
  }

  /** The sweep's name (its default output folder is {@code runs/sweeps/NAME}). */
  public String name() {
    return name;
  }

  /** The sweep's description, or null. */
  public String description() {
    return description;
  }

  /** The file it was read from (how errors name it). */
  public String source() {
    return source;
  }

  /** Every run, in file order (runs, then each grid's expansion). */
  public List<RunSpec> runs() {
    return runs;
  }

  /** {@code runs/sweeps/NAME} under the working directory. */
  public Path defaultOutDir() {
    return Path.of("runs", "sweeps", name).toAbsolutePath().normalize();
  }

  /** {@link #plan(double, Path)} into {@link #defaultOutDir()}. */
  public SweepPlan plan(double budgetScale) {
    return plan(budgetScale, defaultOutDir());
  }

  /**
   * Binds every run (without loading data) into a plan whose runs live in {@code outDir/ID}: their order (a run after
   * the runs it refers to), overrides and resolved-config hashes. A run referring to a number of a run not finished
   * yet has no hash until then.
   *
   * @throws IllegalArgumentException naming the run and its configuration problems
   */
  public SweepPlan plan(double budgetScale, Path outDir) {
    return SweepPlan.of(this, budgetScale, outDir);
  }
}
