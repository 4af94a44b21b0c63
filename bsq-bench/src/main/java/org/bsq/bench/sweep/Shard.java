package org.bsq.bench.sweep;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One of {@code count} deterministic parts of a sweep ({@code bsq sweep --shard I/N}), for SLURM job arrays or a plain
 * loop over machines writing to one store. Runs connected by references (a run and the runs it refers to, and
 * theirs) form a group that is never split, so a shard never waits for another; the groups are dealt round-robin in
 * the plan's order of their first run. The assignment depends only on the sweep file's runs and references (not on
 * what is done), so every machine computes the same one.
 *
 * @param index the part, 1-based (1 <= index <= count)
 * @param count how many parts (>= 1)
 */
public record Shard(int index, int count) {
  public Shard {
    if (count < 1 || index < 1 || index > count) {
      throw new IllegalArgumentException("--shard must be I/N with N >= 1 and 1 <= I <= N, was " + index + "/"
          + count);
    }
  }

  /** The whole sweep as one shard. */
  public static final Shard ALL = new Shard(1, 1);

  /**
   * Parses {@code I/N}.
   *
   * @throws IllegalArgumentException naming the text and the rule
   */
  public static Shard parse(String text) {
    String t = text == null ? "" : text.strip();
    int slash = t.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("--shard must be I/N (e.g. 2/8: the second of 8 parts, 1 <= I <= N), was '"
          + text + "'");
    }
    int i;
    int n;
    try {
      i = Integer.parseInt(t.substring(0, slash).strip());
      n = Integer.parseInt(t.substring(slash + 1).strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--shard must be I/N with whole numbers (e.g. 2/8, 1 <= I <= N), was '"
          + text + "'");
    }
    return new Shard(i, n);
  }

  /** Whether this is the whole sweep. */
  public boolean all() {
    return count == 1;
  }

  /**
   * The shard (1-based) of every run of {@code runs}, given as id to the ids it depends on, in the plan's order.
   * Every id maps to exactly one shard in 1..count.
   */
  public static Map<String, Integer> assign(Map<String, List<String>> runs, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("shard count must be >= 1, was " + count);
    }
    // union-find over the reference graph, taken as undirected
    Map<String, String> parent = new HashMap<>();
    runs.keySet().forEach(id -> parent.put(id, id));
    for (Map.Entry<String, List<String>> e : runs.entrySet()) {
      for (String dep : e.getValue()) {
        if (!parent.containsKey(dep)) {
          throw new IllegalArgumentException("run " + e.getKey() + " depends on '" + dep + "', which is not a run");
        }
        String a = root(parent, e.getKey());
        String b = root(parent, dep);
        if (!a.equals(b)) {
          parent.put(a, b);
        }
      }
    }
    Map<String, Integer> groupShard = new HashMap<>();
    Map<String, Integer> out = new LinkedHashMap<>();
    for (String id : runs.keySet()) {
      String group = root(parent, id);
      Integer s = groupShard.get(group);
      if (s == null) {
        s = groupShard.size() % count + 1; // groups dealt round-robin in the order of their first run
        groupShard.put(group, s);
      }
      out.put(id, s);
    }
    return out;
  }

  private static String root(Map<String, String> parent, String id) {
    String r = id;
    while (!parent.get(r).equals(r)) {
      r = parent.get(r);
    }
    String c = id;
    while (!c.equals(r)) { // path compression
      String next = parent.get(c);
      parent.put(c, r);
      c = next;
    }
    return r;
  }

  /** The runs of {@code plan} in this shard, in the plan's order. */
  public List<PlannedRun> select(List<PlannedRun> plan) {
    Map<String, List<String>> graph = new LinkedHashMap<>();
    plan.forEach(r -> graph.put(r.id(), r.dependencies()));
    Map<String, Integer> shards = assign(graph, count);
    List<PlannedRun> out = new ArrayList<>();
    for (PlannedRun r : plan) {
      if (shards.get(r.id()) == index) {
        out.add(r);
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return index + "/" + count;
  }
}
