package org.bsq.bench.store;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;
import org.flywaydb.core.Flyway;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The index of runs: one row per configuration hash in an embedded SQLite file (the default, no set-up) or in a
 * shared PostgreSQL database (a {@code jdbc:postgresql:} URL), so several machines write to one place. The schema is
 * created and upgraded by Flyway migrations ({@code org/bsq/bench/store/migration}). Writes are upserts keyed by the
 * configuration hash: concurrent writers, retried runs and re-imports leave exactly one row per hash, and a finished
 * run is never replaced by a failed attempt at the same configuration (see docs/decisions/0010-result-store.md).
 */
public final class ResultStore {
  /** Environment variable naming the default store (a JDBC URL or an SQLite file path). */
  public static final String STORE_ENV = "BSQ_RESULT_STORE";
  /** The default store: an SQLite file beside the default run folders. */
  public static final String DEFAULT_STORE = "runs/results.db";
  /** Flyway's history table (the schema version lives there). */
  static final String HISTORY_TABLE = "flyway_schema_history";

  /** Columns a query may filter on, and whether they are numeric. */
  static final Map<String, Boolean> FILTER_COLUMNS;
  /** Columns the query rows carry, in order ({@code run_json} is left out of rows). */
  public static final List<String> COLUMNS = List.of("config_hash", "strategy", "model", "dataset", "seed",
      "budget_scale", "status", "avg_bits", "top1", "top1_validation", "top1_before_finetune", "top1_float",
      "compression", "cost_json", "started_at", "run_dir", "indexed_at");

  static {
    Set<String> numeric = Set.of("seed", "budget_scale", "avg_bits", "top1", "top1_validation",
        "top1_before_finetune", "top1_float", "compression");
    Map<String, Boolean> m = new LinkedHashMap<>();
    for (String c : COLUMNS) {
      if (!c.equals("cost_json")) {
        m.put(c, numeric.contains(c));
      }
    }
    FILTER_COLUMNS = Map.copyOf(m);
  }

  private static final String UPSERT = "INSERT INTO runs (config_hash, strategy, model, dataset, seed, budget_scale,"
      + " status, avg_bits, top1, top1_validation, top1_before_finetune, top1_float, compression, cost_json,"
      + " started_at, run_dir, run_json, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
      + " ON CONFLICT (config_hash) DO UPDATE SET strategy = excluded.strategy, model = excluded.model,"
      + " dataset = excluded.dataset, seed = excluded.seed, budget_scale = excluded.budget_scale,"
      + " status = excluded.status, avg_bits = excluded.avg_bits, top1 = excluded.top1,"
      + " top1_validation = excluded.top1_validation, top1_before_finetune = excluded.top1_before_finetune,"
      + " top1_float = excluded.top1_float, compression = excluded.compression, cost_json = excluded.cost_json,"
      + " started_at = excluded.started_at, run_dir = excluded.run_dir, run_json = excluded.run_json,"
      + " indexed_at = excluded.indexed_at"
      + " WHERE NOT (runs.status = 'finished' AND excluded.status = 'failed')";

  private static final Pattern FILTER = Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(<=|>=|!=|=|<|>)(.*)$");

  private final String url;
  private final DataSource dataSource;

  private ResultStore(String url, DataSource dataSource) {
    this.url = url;
    this.dataSource = dataSource;
  }

  /** The store named by {@value #STORE_ENV}, else {@value #DEFAULT_STORE} under the working directory. */
  public static String defaultLocation() {
    String env = System.getenv(STORE_ENV);
    return env != null && !env.isBlank() ? env : DEFAULT_STORE;
  }

  /**
   * Opens (and creates or migrates) a store.
   *
   * @param location a {@code jdbc:sqlite:} or {@code jdbc:postgresql:} URL, or a file path (an SQLite database)
   */
  public static ResultStore open(String location) {
    String url = location.startsWith("jdbc:") ? location : "jdbc:sqlite:" + location;
    ResultStore store;
    if (url.startsWith("jdbc:sqlite:")) {
      String file = sqliteFile(url);
      if (file != null) {
        try {
          Path parent = Path.of(file).toAbsolutePath().getParent();
          if (parent != null) {
            Files.createDirectories(parent);
          }
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create the folder of result store " + file, e);
        }
      }
      SQLiteConfig config = new SQLiteConfig();
      config.setBusyTimeout(60_000);
      config.setJournalMode(SQLiteConfig.JournalMode.WAL);
      SQLiteDataSource ds = new SQLiteDataSource(config);
      ds.setUrl(url);
      store = new ResultStore(url, ds);
      store.migrateSqlite(file);
    } else if (url.startsWith("jdbc:postgresql:")) {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setUrl(url);
      store = new ResultStore(url, ds);
      store.migratePostgres();
    } else {
      throw new IllegalArgumentException("result store '" + location + "' must be a jdbc:sqlite: or jdbc:postgresql:"
          + " URL or an SQLite file path");
    }
    return store;
  }

  /** The file of an SQLite URL, null for an in-memory database. */
  private static String sqliteFile(String url) {
    String rest = url.substring("jdbc:sqlite:".length());
    int q = rest.indexOf('?');
    if (q >= 0) {
      rest = rest.substring(0, q);
    }
    if (rest.startsWith("file:")) {
      rest = rest.substring("file:".length());
    }
    return rest.isEmpty() || rest.equals(":memory:") ? null : rest;
  }

  private Flyway flyway() {
    return Flyway.configure(ResultStore.class.getClassLoader())
        .dataSource(dataSource)
        .locations("classpath:org/bsq/bench/store/migration")
        .table(HISTORY_TABLE)
        .load();
  }

  /** Migrations of one SQLite file never run at once: a file lock beside it serializes processes and threads. */
  private void migrateSqlite(String file) {
    if (file == null) {
      flyway().migrate();
      return;
    }
    Path lockFile = Path.of(file + ".migrate-lock");
    synchronized (ResultStore.class) {
      try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
           FileLock ignored = ch.lock()) {
        flyway().migrate();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot lock " + lockFile, e);
      }
    }
  }

  /** PostgreSQL: an advisory lock serializes the migrations of every writer on every machine. */
  private void migratePostgres() {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute("SELECT pg_advisory_lock(4253215501)");
      try {
        flyway().migrate();
      } finally {
        s.execute("SELECT pg_advisory_unlock(4253215501)");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot open result store " + url + ": " + e.getMessage(), e);
    }
  }

  /** The JDBC URL of this store. */
  public String url() {
    return url;
  }

  /** The schema version the migrations brought the store to. */
  public String schemaVersion() {
    var current = flyway().info().current();
    return current == null ? null : current.getVersion().getVersion();
  }

  /** Indexes a {@code run.json} file; its folder is recorded as the run's folder. */
  public void index(Path runJson) {
    RunRecord r = Harness.readRecord(runJson);
    String text;
    try {
      text = Files.readString(runJson, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + runJson, e);
    }
    index(r, text, runJson.toAbsolutePath().normalize().getParent().toString());
  }

  /**
   * Indexes a run: inserts its row, or replaces the row of the same configuration hash unless that row is of a
   * finished run and this record is of a failed one.
   *
   * @param runJson the whole run.json document
   * @param runDir the run's folder (null if unknown)
   */
  public void index(RunRecord r, String runJson, String runDir) {
    if (r.configHash() == null || r.configHash().isBlank()) {
      throw new IllegalArgumentException("run record of " + runDir + " has no configHash");
    }
    JsonNode config = r.config();
    // run.json's config is {budgetScale, experiment: {model, dataset, ...}}
    JsonNode experiment = config == null ? null : config.path("experiment");
    String model = experiment == null ? null : text(experiment.path("model").path("name"));
    String dataset = experiment == null ? null : text(experiment.path("dataset").path("name"));
    RunRecord.Metrics m = r.metrics();
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(UPSERT)) {
      int i = 1;
      ps.setString(i++, r.configHash());
      ps.setString(i++, r.strategy());
      ps.setString(i++, model);
      ps.setString(i++, dataset);
      ps.setLong(i++, r.seed());
      ps.setDouble(i++, r.budgetScale());
      ps.setString(i++, r.status());
      setDouble(ps, i++, r.avgBits());
      setDouble(ps, i++, m == null ? null : m.top1());
      setDouble(ps, i++, m == null ? null : m.top1Validation());
      setDouble(ps, i++, m == null ? null : m.top1BeforeFinetune());
      setDouble(ps, i++, m == null ? null : m.top1Float());
      setDouble(ps, i++, r.compression() == null ? null : r.compression().paper());
      ps.setString(i++, r.cost() == null ? null : Json.line(r.cost()));
      ps.setString(i++, r.provenance() == null ? null : r.provenance().startedAt());
      ps.setString(i++, runDir);
      ps.setString(i++, runJson);
      ps.setString(i, Instant.now().toString());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot index run " + r.configHash() + " into " + url + ": " + e.getMessage(),
          e);
    }
  }

  private static String text(JsonNode n) {
    return n.isMissingNode() || n.isNull() ? null : n.asText();
  }

  private static void setDouble(PreparedStatement ps, int i, Double v) throws SQLException {
    if (v == null || v.isNaN() || v.isInfinite()) {
      ps.setNull(i, Types.DOUBLE);
    } else {
      ps.setDouble(i, v);
    }
  }

  /** The result of importing a folder. */
  public record ImportResult(int indexed, List<String> failures) {}

  /** Indexes every {@code run.json} under {@code dir} (recursively); unreadable records are reported, not fatal. */
  public ImportResult importTree(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("import folder " + dir + " does not exist or is not a folder");
    }
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(p -> p.getFileName().toString().equals(Harness.RUN_JSON) && Files.isRegularFile(p))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot walk " + dir, e);
    }
    int indexed = 0;
    List<String> failures = new ArrayList<>();
    for (Path f : files) {
      try {
        index(f);
        indexed++;
      } catch (RuntimeException e) {
        failures.add(f + ": " + e.getMessage());
      }
    }
    return new ImportResult(indexed, failures);
  }

  /**
   * A filter {@code column OP value} (OP one of {@code = != < > <= >=}); the column must be a known one and the value
   * is bound, never spliced into the SQL.
   */
  public record Filter(String column, String op, Object value) {
    /** Parses {@code key=value}; a key outside the store's columns or a non-number for a numeric column fails. */
    public static Filter parse(String text) {
      Matcher mt = FILTER.matcher(text);
      if (!mt.matches()) {
        throw new IllegalArgumentException("filter '" + text + "' must be COLUMN=VALUE (or !=, <, >, <=, >=)");
      }
      String col = mt.group(1).toLowerCase(java.util.Locale.ROOT).replace("-", "_");
      col = switch (col) {
        case "confighash", "hash" -> "config_hash";
        case "budgetscale" -> "budget_scale";
        case "avgbits" -> "avg_bits";
        default -> col;
      };
      Boolean numeric = FILTER_COLUMNS.get(col);
      if (numeric == null) {
        throw new IllegalArgumentException("filter '" + text + "': unknown column '" + mt.group(1) + "'; known: "
            + new java.util.TreeSet<>(FILTER_COLUMNS.keySet()));
      }
      String raw = mt.group(3).trim();
      Object value = raw;
      if (numeric) {
        try {
          value = col.equals("seed") ? (Object) Long.parseLong(raw) : (Object) Double.parseDouble(raw);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("filter '" + text + "': " + col + " takes a number, was '" + raw + "'");
        }
      }
      return new Filter(col, mt.group(2), value);
    }
  }

  /** Rows matching every filter, ordered by strategy, model, dataset, seed and hash; {@code run_json} is left out. */
  public List<Map<String, Object>> query(List<Filter> filters) {
    StringBuilder sql = new StringBuilder("SELECT " + String.join(", ", COLUMNS) + " FROM runs");
    for (int i = 0; i < filters.size(); i++) {
      Filter f = filters.get(i);
      if (!FILTER_COLUMNS.containsKey(f.column()) || !Set.of("=", "!=", "<", ">", "<=", ">=").contains(f.op())) {
        throw new IllegalArgumentException("bad filter " + f);
      }
      sql.append(i == 0 ? " WHERE " : " AND ").append(f.column()).append(' ')
          .append(f.op().equals("!=") ? "<>" : f.op()).append(" ?");
    }
    sql.append(" ORDER BY strategy, model, dataset, seed, config_hash");
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < filters.size(); i++) {
        Object v = filters.get(i).value();
        if (v instanceof Long l) {
          ps.setLong(i + 1, l);
        } else if (v instanceof Double d) {
          ps.setDouble(i + 1, d);
        } else {
          ps.setString(i + 1, (String) v);
        }
      }
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int k = 1; k <= md.getColumnCount(); k++) {
            String name = md.getColumnLabel(k).toLowerCase(java.util.Locale.ROOT);
            Object v = rs.getObject(k);
            if (v != null && FILTER_COLUMNS.getOrDefault(name, false)) {
              v = name.equals("seed") ? (Object) ((Number) v).longValue() : (Object) ((Number) v).doubleValue();
            }
            row.put(name, v);
          }
          rows.add(row);
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot query result store " + url + ": " + e.getMessage(), e);
    }
    return rows;
  }

  /** The whole run.json of a configuration hash, null if the store has no such run. */
  public String runJson(String configHash) {
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT run_json FROM runs WHERE config_hash = ?")) {
      ps.setString(1, configHash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot query result store " + url + ": " + e.getMessage(), e);
    }
  }

  /** The number of rows per configuration hash (a hash appearing twice would be a duplicate). */
  public Map<String, Long> countsByHash() {
    Map<String, Long> out = new LinkedHashMap<>();
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT config_hash, COUNT(*) FROM runs GROUP BY config_hash")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot query result store " + url + ": " + e.getMessage(), e);
    }
    return out;
  }
}
