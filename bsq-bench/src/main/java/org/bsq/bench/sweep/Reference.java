package org.bsq.bench.sweep;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;

/**
 * A reference {@code ${ID.FIELD}} or {@code ${ID.FIELD:ROUNDING}} inside an override value of a sweep file: it stands
 * for something of another run of the sweep. {@code runJson} and {@code dir} are paths (known before that run ends);
 * {@code avgBits}, {@code top1} and {@code compression} (the paper's) are numbers of its finished record, optionally
 * rounded ({@code floor}, {@code ceil}, {@code round}) to an integer; so are {@code latency@PRESET} and
 * {@code energy@PRESET}, its simulated latency (ms) and energy (mJ) per image on an accelerator preset of its
 * {@code accelerators:} (e.g. HAQ at a BSQ run's latency: {@code strategy.params.budget.value:
 * "${bsq.latency@unpu}"}).
 *
 * @param id the referenced run
 * @param field what of it
 * @param rounding floor, ceil, round, or null
 */
public record Reference(String id, String field, String rounding) {
  /** The path fields. */
  public static final List<String> PATH_FIELDS = List.of("runJson", "dir");
  /** The numeric fields (of the finished record). */
  public static final List<String> NUMBER_FIELDS = List.of("avgBits", "top1", "compression");
  /** The cost fields, each followed by {@code @PRESET}: a run record's {@code cost.PRESET.<metric key>}. */
  public static final List<String> COST_FIELDS = List.of("latency", "energy");
  /** The roundings of a numeric field. */
  public static final List<String> ROUNDINGS = List.of("floor", "ceil", "round");

  private static final Pattern ANY = Pattern.compile("\\$\\{([^}]*)}");
  private static final Pattern ONE =
      Pattern.compile("([a-z0-9._-]+)\\.([A-Za-z0-9]+(?:@[A-Za-z0-9._-]+)?)(?::([a-z]+))?");

  /** Whether the value is known only once the referenced run has finished. */
  public boolean numeric() {
    return NUMBER_FIELDS.contains(field) || costField(field);
  }

  /** Whether {@code field} is {@code latency@PRESET} or {@code energy@PRESET}. */
  private static boolean costField(String field) {
    int at = field.indexOf('@');
    return at > 0 && at < field.length() - 1 && COST_FIELDS.contains(field.substring(0, at));
  }

  @Override
  public String toString() {
    return "${" + id + "." + field + (rounding == null ? "" : ":" + rounding) + "}";
  }

  /**
   * The references in an override's value text; each malformed one adds a problem to {@code problems} (naming it and
   * the rule).
   */
  static List<Reference> find(String text, String where, List<String> problems) {
    List<Reference> out = new ArrayList<>();
    Matcher m = ANY.matcher(text);
    while (m.find()) {
      Matcher one = ONE.matcher(m.group(1));
      String rule = "a reference must look like ${ID.FIELD} or ${ID.FIELD:ROUNDING} with FIELD one of "
          + concat(PATH_FIELDS, NUMBER_FIELDS) + " or METRIC@PRESET (METRIC one of " + COST_FIELDS
          + ") and ROUNDING (numbers only) one of " + ROUNDINGS;
      if (!one.matches()) {
        problems.add(where + ": " + rule + ", was '" + m.group() + "'");
        continue;
      }
      String field = one.group(2);
      String rounding = one.group(3);
      if (!PATH_FIELDS.contains(field) && !NUMBER_FIELDS.contains(field) && !costField(field)) {
        problems.add(where + ": " + rule + ", was '" + m.group() + "' (unknown field '" + field + "')");
      } else if (rounding != null && (!ROUNDINGS.contains(rounding) || PATH_FIELDS.contains(field))) {
        problems.add(where + ": " + rule + ", was '" + m.group() + "' (rounding '" + rounding + "')");
      } else {
        out.add(new Reference(one.group(1), field, rounding));
      }
    }
    if (text.contains("${") && out.isEmpty() && problems.isEmpty()) {
      problems.add(where + ": a reference must be closed, ${ID.FIELD}, was '" + text + "'");
    }
    return out;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /**
   * Replaces the references in an override's value text ({@code YAML} flow text, as {@code --set} takes it).
   * Inside a double-quoted value a path is inserted escaped; a value that is one path reference becomes a quoted
   * string; a number is inserted as its digits (an integer when rounded).
   *
   * @param runDir the folder of a run by id
   * @param record the finished record of a run by id (called only for numeric references)
   * @throws IllegalArgumentException when a referenced record lacks the number
   */
  static String substitute(String text, Function<String, Path> runDir, Function<String, RunRecord> record) {
    Matcher m = ANY.matcher(text);
    StringBuilder b = new StringBuilder();
    boolean quoted = text.startsWith("\"");
    while (m.find()) {
      boolean whole = m.start() == 0 && m.end() == text.length();
      List<Reference> refs = find(m.group(), "reference", new ArrayList<>());
      if (refs.isEmpty()) {
        throw new IllegalArgumentException("malformed reference " + m.group());
      }
      Reference r = refs.get(0);
      String value;
      if (r.numeric()) {
        value = r.number(record.apply(r.id()));
      } else {
        Path dir = runDir.apply(r.id());
        String path = (r.field().equals("dir") ? dir : dir.resolve(Harness.RUN_JSON)).toString();
        String json = Json.line(path); // a JSON string: valid YAML flow text
        value = quoted ? json.substring(1, json.length() - 1) : whole ? json : path;
      }
      m.appendReplacement(b, Matcher.quoteReplacement(value));
    }
    m.appendTail(b);
    return b.toString();
  }

  /** This numeric reference's value in {@code r}, as override text. */
  String number(RunRecord r) {
    Double v = switch (field) {
      case "avgBits" -> r.avgBits();
      case "top1" -> r.metrics() == null ? null : r.metrics().top1();
      case "compression" -> r.compression() == null ? null : r.compression().paper();
      default -> {
        if (!costField(field)) {
          throw new IllegalArgumentException("reference " + this + " is not a number");
        }
        String preset = field.substring(field.indexOf('@') + 1);
        String key = org.bsq.core.search.CostMetric.of(field.substring(0, field.indexOf('@'))).key();
        java.util.Map<String, Double> prices = r.cost() == null ? null : r.cost().get(preset);
        if (prices == null) {
          throw new IllegalArgumentException("reference " + this + " needs run " + id + " to be priced on '" + preset
              + "' (add it to its accelerators:), was priced on "
              + (r.cost() == null ? "nothing" : r.cost().keySet()));
        }
        yield prices.get(key);
      }
    };
    if (v == null || !Double.isFinite(v)) {
      throw new IllegalArgumentException("reference " + this + " needs a finite " + field + " in run " + id
          + "'s record, was " + v);
    }
    if (rounding == null) {
      return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }
    double rounded = switch (rounding) {
      case "floor" -> Math.floor(v);
      case "ceil" -> Math.ceil(v);
      default -> (double) Math.round(v);
    };
    return String.format(Locale.ROOT, "%d", (long) rounded);
  }
}
