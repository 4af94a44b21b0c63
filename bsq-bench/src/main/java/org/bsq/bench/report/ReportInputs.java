package org.bsq.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.bsq.bench.store.ResultStore;
import org.bsq.core.harness.Harness;
import org.bsq.core.harness.RunRecord;
import org.bsq.core.json.Json;

/** Collects the runs of a report from run folders or from a result store. */
public final class ReportInputs {
  private ReportInputs() {}

  /**
   * Every {@code run.json} under the given paths: a path is a run folder (holding {@code run.json}), a
   * {@code run.json} file, or any folder holding run folders at any depth (e.g. a sweep's output). Runs are sorted by
   * path within each argument; a file reached twice is taken once. Labels are the run folder's path from the
   * argument's own name ({@code cmp/r20-haq} for {@code runs/cmp}), made unique with {@code ~2}, {@code ~3}, ...
   *
   * @throws IllegalArgumentException a path that does not exist, holds no run.json, or a run.json that cannot be read
   */
  public static List<ReportRun> fromFolders(List<Path> paths) {
    if (paths.isEmpty()) {
      throw new IllegalArgumentException("give at least one run folder");
    }
    Set<Path> seen = new HashSet<>();
    List<ReportRun> runs = new ArrayList<>();
    Set<String> labels = new HashSet<>();
    for (Path arg : paths) {
      Path base = arg.toAbsolutePath().normalize();
      if (!Files.exists(base)) {
        throw new IllegalArgumentException("run folder " + arg + " does not exist");
      }
      List<Path> files;
      if (Files.isRegularFile(base)) {
        if (!base.getFileName().toString().equals(Harness.RUN_JSON)) {
          throw new IllegalArgumentException(arg + " must be a folder or a " + Harness.RUN_JSON + " file");
        }
        files = List.of(base);
        base = base.getParent();
      } else {
        try (Stream<Path> s = Files.walk(base)) {
          files = s.filter(p -> p.getFileName().toString().equals(Harness.RUN_JSON) && Files.isRegularFile(p))
              .sorted().toList();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot list " + arg, e);
        }
        if (files.isEmpty()) {
          throw new IllegalArgumentException("no " + Harness.RUN_JSON + " under " + arg
              + " (give run folders or folders that contain them)");
        }
      }
      String name = base.getFileName() == null ? "run" : base.getFileName().toString();
      for (Path f : files) {
        if (!seen.add(f)) {
          continue;
        }
        RunRecord r;
        try {
          r = Harness.readRecord(f);
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("cannot read run record " + f + ": " + e.getMessage(), e);
        }
        Path dir = f.getParent();
        String rel = base.relativize(dir).toString().replace('\\', '/');
        runs.add(new ReportRun(unique(labels, rel.isEmpty() ? name : name + "/" + rel), dir, r));
      }
    }
    return List.copyOf(runs);
  }

  /**
   * The runs of a result store that pass every filter (see {@link ResultStore.Filter#parse}), in the store's order,
   * each read from its stored {@code run.json}. Labels are the recorded run folder's name, else the configuration
   * hash's first 12 hex digits.
   *
   * @throws IllegalArgumentException when no stored run passes the filters
   */
  public static List<ReportRun> fromStore(ResultStore store, List<ResultStore.Filter> filters) {
    List<Map<String, Object>> rows = store.query(filters);
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("no run in the result store " + store.url() + " matches "
          + (filters.isEmpty() ? "(no filter)" : String.join(" and ", filters.stream()
          .map(f -> f.column() + f.op() + f.value()).toList())));
    }
    Map<String, ReportRun> runs = new LinkedHashMap<>();
    Set<String> labels = new HashSet<>();
    for (Map<String, Object> row : rows) {
      String hash = String.valueOf(row.get("config_hash"));
      String text = store.runJson(hash);
      if (text == null || runs.containsKey(hash)) {
        continue;
      }
      RunRecord r;
      try {
        r = Json.files().readValue(text, RunRecord.class);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the stored run.json of " + hash + ": " + e.getMessage(), e);
      }
      Object dirValue = row.get("run_dir");
      Path dir = dirValue == null ? null : Path.of(dirValue.toString());
      String name = dir != null && dir.getFileName() != null ? dir.getFileName().toString()
          : shortHash(hash);
      runs.put(hash, new ReportRun(unique(labels, name), dir, r));
    }
    return List.copyOf(runs.values());
  }

  static String shortHash(String hash) {
    String s = hash.replaceFirst("^sha256:", "");
    return s.length() > 12 ? s.substring(0, 12) : s;
  }

  private static String unique(Set<String> labels, String label) {
    String l = label;
    for (int i = 2; !labels.add(l); i++) {
      l = label + "~" + i;
    }
    return l;
  }
}
