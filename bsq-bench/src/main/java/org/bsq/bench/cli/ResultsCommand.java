package org.bsq.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bsq.bench.store.ResultStore;
import org.bsq.core.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bsq results}: queries the result store; {@code bsq results import DIR} indexes existing run.json files. */
@Command(name = "results", mixinStandardHelpOptions = true,
    description = "Query the result store (one row per configuration hash). Default store: $BSQ_RESULT_STORE, else "
        + "the SQLite file runs/results.db.",
    subcommands = ResultsCommand.Import.class)
final class ResultsCommand implements Callable<Integer> {
  /** Columns of the text table (every column is in --json and --csv). */
  private static final List<String> TABLE = List.of("config_hash", "strategy", "model", "dataset", "seed",
      "budget_scale", "status", "avg_bits", "top1", "top1_validation", "top1_before_finetune", "run_dir");

  @Spec
  CommandSpec spec;

  @Option(names = "--store", paramLabel = "URL",
      description = "jdbc:sqlite:FILE, jdbc:postgresql://HOST/DB?user=U&password=P, or an SQLite file path.")
  String store;

  @Option(names = "--where", paramLabel = "COLUMN=VALUE",
      description = "Keep rows with COLUMN=VALUE (also !=, <, >, <=, >=), e.g. --where strategy=haq --where "
          + "'top1>0.9' (repeatable, all must hold).")
  List<String> where = new ArrayList<>();

  @Option(names = "--json", description = "Print the rows as one JSON array.")
  boolean json;

  @Option(names = "--csv", description = "Print the rows as CSV with a header.")
  boolean csv;

  String location() {
    return store != null ? store : ResultStore.defaultLocation();
  }

  @Override
  public Integer call() {
    if (json && csv) {
      throw new UsageException("--json and --csv exclude each other");
    }
    List<ResultStore.Filter> filters = new ArrayList<>();
    for (String w : where) {
      try {
        filters.add(ResultStore.Filter.parse(w));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--where " + e.getMessage());
      }
    }
    List<Map<String, Object>> rows = ResultStore.open(location()).query(filters);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      List<Map<String, Object>> docs = new ArrayList<>();
      for (Map<String, Object> r : rows) {
        Map<String, Object> d = new java.util.LinkedHashMap<>(r);
        Object cost = d.remove("cost_json");
        try {
          d.put("cost", cost == null ? null : Json.files().readTree((String) cost));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          d.put("cost", cost);
        }
        docs.add(d);
      }
      out.println(Json.line(docs));
    } else if (csv) {
      out.println(String.join(",", ResultStore.COLUMNS));
      for (Map<String, Object> r : rows) {
        List<String> cells = new ArrayList<>();
        for (String c : ResultStore.COLUMNS) {
          cells.add(csvCell(r.get(c)));
        }
        out.println(String.join(",", cells));
      }
    } else {
      table(out, rows);
    }
    out.flush();
    return 0;
  }

  static String csvCell(Object v) {
    if (v == null) {
      return "";
    }
    String s = v.toString();
    return s.matches("[^\",\\r\\n]*") ? s : "\"" + s.replace("\"", "\"\"") + "\"";
  }

  private static String cell(String column, Object v) {
    if (v == null) {
      return "-";
    }
    if (column.equals("config_hash")) {
      String s = v.toString().replaceFirst("^sha256:", "");
      return s.length() > 12 ? s.substring(0, 12) : s;
    }
    if (v instanceof Double d) {
      return String.format(Locale.ROOT, column.startsWith("top1") ? "%.4f" : "%.3g", d);
    }
    return v.toString();
  }

  private static void table(PrintWriter out, List<Map<String, Object>> rows) {
    int[] w = new int[TABLE.size()];
    List<String[]> lines = new ArrayList<>();
    String[] head = TABLE.toArray(String[]::new);
    lines.add(head);
    for (Map<String, Object> r : rows) {
      String[] l = new String[TABLE.size()];
      for (int i = 0; i < l.length; i++) {
        l[i] = cell(TABLE.get(i), r.get(TABLE.get(i)));
      }
      lines.add(l);
    }
    for (String[] l : lines) {
      for (int i = 0; i < l.length; i++) {
        w[i] = Math.max(w[i], l[i].length());
      }
    }
    for (String[] l : lines) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < l.length; i++) {
        sb.append(i == 0 ? "" : "  ").append(String.format("%-" + w[i] + "s", l[i]));
      }
      out.println(sb.toString().stripTrailing());
    }
    out.println(rows.size() + (rows.size() == 1 ? " run" : " runs"));
  }

  /** {@code bsq results import DIR...}. */
  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Index every run.json under DIR (recursively) into the result store. Idempotent: a run is keyed "
          + "by its configuration hash, so importing again updates rows and never duplicates them; a finished run "
          + "is never replaced by a failed one. Exit code 1 if a run.json could not be read.")
  static final class Import implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    ResultsCommand parent;

    @Option(names = "--store", paramLabel = "URL", description = "As for bsq results.")
    String store;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Folders searched for run.json files.")
    List<Path> dirs;

    @Override
    public Integer call() {
      String location = store != null ? store : parent.location();
      ResultStore s = ResultStore.open(location);
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      int indexed = 0;
      int failed = 0;
      for (Path d : dirs) {
        ResultStore.ImportResult r;
        try {
          r = s.importTree(d);
        } catch (IllegalArgumentException e) {
          throw new UsageException(e.getMessage());
        }
        indexed += r.indexed();
        failed += r.failures().size();
        r.failures().forEach(f -> err.println("bsq: not indexed: " + f));
      }
      out.printf("indexed %d run.json file%s into %s (%d runs stored)%n", indexed, indexed == 1 ? "" : "s",
          location, s.countsByHash().size());
      out.flush();
      err.flush();
      return failed == 0 ? 0 : 1;
    }
  }
}
