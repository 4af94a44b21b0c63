package org.bsq.core.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bsq.core.io.FileTrees;
import org.bsq.core.json.Json;
import org.bsq.core.train.Checkpoint;

/**
 * A run folder and the one run it holds. The folder is bound to its run's {@link Identity} (the resolved
 * configuration, its hash and the fingerprints of the inputs) by {@value #CONFIG_FILE}, written when the run starts; a
 * run of any other identity is refused ({@link #checkFor}), naming the keys that differ, so a folder never mixes two
 * runs. One process at a time may work in a folder ({@link #lock}): the lock is an OS file lock on {@value #LOCK_FILE},
 * released when the process ends however it ends, and the file names the holder.
 *
 * <p>Usage: {@link #checkFor} first (it writes nothing, so a rejected command changes nothing), then {@link #lock},
 * which checks again under the lock, writes {@value #CONFIG_FILE} for a new run and removes the temporary files a
 * killed process may have left.
 */
public final class RunFolder {
  /** The folder's identity file. */
  public static final String CONFIG_FILE = "config.json";
  /** The lock file. */
  public static final String LOCK_FILE = ".lock";
  /**
   * Files a tool may keep beside a run before it starts (they do not make a folder foreign): the lock, and a sweep's
   * log and failure note ({@code bsq sweep} writes them while its child {@code bsq run} works in the folder).
   */
  public static final java.util.Set<String> BESIDE_FILES = java.util.Set.of(LOCK_FILE, "sweep.log",
      "sweep-failure.json");
  /** How many differing keys an identity error lists. */
  private static final int MAX_LISTED = 12;
  /** Temporary siblings that {@link Checkpoint#write} and {@link Json#writeFile} use while writing. */
  private static final Pattern TEMP_DIR = Pattern.compile("(.+)\\.(tmp|old)-\\d+");

  /** What the folder holds. */
  public enum State {
    /** No run yet (the folder is absent or empty). */
    NEW,
    /** A run started and has no record: it was interrupted (or is running, see {@link #lock}). */
    INTERRUPTED,
    /** The run failed; its {@code run.json} has status failed. Running it again continues from its checkpoints. */
    FAILED,
    /** The run finished; its {@code run.json} is final. */
    FINISHED
  }

  /**
   * The identity of a run, as {@value #CONFIG_FILE} stores it.
   *
   * @param config the resolved configuration ({@code budgetScale} and {@code experiment}), every default filled in and
   *     every path absolute
   * @param configHash {@link Harness#hash} of {@code config}
   * @param inputs fingerprints of the files the run reads (data splits, starting weights), name -> checksum
   */
  public record Identity(JsonNode config, String configHash, Map<String, String> inputs) {
    public Identity {
      Objects.requireNonNull(config, "config");
      inputs = Map.copyOf(new TreeMap<>(inputs));
    }

    /** The identity of {@code config} with its hash computed. */
    public static Identity of(JsonNode config, Map<String, String> inputs) {
      return new Identity(config, Harness.hash(config), inputs);
    }
  }

  private final Path dir;

  private RunFolder(Path dir) {
    this.dir = dir;
  }

  /** The run folder at {@code dir} (which need not exist yet). */
  public static RunFolder at(Path dir) {
    return new RunFolder(dir.toAbsolutePath().normalize());
  }

  public Path dir() {
    return dir;
  }

  /** What the folder holds now. */
  public State state() {
    if (!Files.isRegularFile(dir.resolve(CONFIG_FILE))) {
      return State.NEW;
    }
    if (!Files.isRegularFile(dir.resolve(Harness.RUN_JSON))) {
      return State.INTERRUPTED;
    }
    return record().finished() ? State.FINISHED : State.FAILED;
  }

  /** The identity the folder is bound to; fails when it holds no run. */
  public Identity identity() {
    Path file = dir.resolve(CONFIG_FILE);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("run folder must hold " + CONFIG_FILE + " (it is written when a run starts), "
          + "was not found in " + dir);
    }
    JsonNode tree = Json.readTree(file);
    if (!tree.has("config") && tree.has("experiment")) {
      return Identity.of(tree, Map.of()); // written before identities had their own layout: the config itself
    }
    return Json.readFile(file, Identity.class);
  }

  /** The run record ({@code run.json}) of a finished or failed run. */
  public RunRecord record() {
    return Harness.readRecord(dir.resolve(Harness.RUN_JSON));
  }

  /**
   * Checks, without writing anything, that this folder can take a run of {@code identity}: the path is a folder or
   * absent; a folder without {@value #CONFIG_FILE} is empty (but for {@link #BESIDE_FILES}); a folder with one is
   * bound to the same configuration and the same inputs. Returns the folder's state.
   *
   * @throws IllegalArgumentException naming the rule and, for another configuration, the keys that differ
   */
  public State checkFor(Identity identity) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("run folder must be a folder, was a file: " + dir);
    }
    if (!Files.isRegularFile(dir.resolve(CONFIG_FILE))) {
      List<String> entries = entries();
      if (!entries.isEmpty()) {
        throw new IllegalArgumentException("run folder must be new, empty or a run folder (with " + CONFIG_FILE
            + "), was a folder holding " + entries.subList(0, Math.min(5, entries.size()))
            + (entries.size() > 5 ? " and " + (entries.size() - 5) + " more" : "") + ": " + dir
            + "; choose another --out");
      }
      return State.NEW;
    }
    Identity bound = identity();
    if (!bound.configHash().equals(identity.configHash())) {
      List<String> diff = differences(bound.config(), identity.config());
      throw new IllegalArgumentException("run folder " + dir + " holds a run of another configuration ("
          + bound.configHash() + "); this command's configuration (" + identity.configHash() + ") differs in "
          + diff.size() + (diff.size() == 1 ? " key: " : " keys: ")
          + String.join("; ", diff.subList(0, Math.min(MAX_LISTED, diff.size())))
          + (diff.size() > MAX_LISTED ? "; ..." : "") + ". A run folder holds one run: use a new --out folder");
    }
    List<String> changed = new ArrayList<>();
    for (Map.Entry<String, String> e : identity.inputs().entrySet()) {
      String was = bound.inputs().get(e.getKey());
      if (was != null && !was.equals(e.getValue())) {
        changed.add(e.getKey() + " was " + was + " when the run started, is " + e.getValue() + " now");
      }
    }
    if (!changed.isEmpty()) {
      throw new IllegalArgumentException("run folder " + dir + " was started on other inputs: "
          + String.join("; ", changed) + ". Restore them, or use a new --out folder for the new inputs");
    }
    return state();
  }

  private List<String> entries() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !BESIDE_FILES.contains(n)).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The leaves where two configurations differ, as {@code key: A in the folder, B here}, in key order; a key present
   * on one side only shows as {@code (absent)}.
   */
  public static List<String> differences(JsonNode folder, JsonNode here) {
    List<String> out = new ArrayList<>();
    diff("", folder, here, out);
    return out;
  }

  private static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
    boolean aMissing = a == null || a.isMissingNode();
    boolean bMissing = b == null || b.isMissingNode();
    if (!aMissing && !bMissing && a.isObject() && b.isObject()) {
      TreeMap<String, Boolean> keys = new TreeMap<>();
      a.fieldNames().forEachRemaining(k -> keys.put(k, true));
      b.fieldNames().forEachRemaining(k -> keys.put(k, true));
      for (String k : keys.keySet()) {
        diff(path.isEmpty() ? k : path + "." + k, a.get(k), b.get(k), out);
      }
      return;
    }
    if (!aMissing && !bMissing && a.isArray() && b.isArray() && a.size() == b.size()) {
      for (int i = 0; i < a.size(); i++) {
        diff(path + "[" + i + "]", a.get(i), b.get(i), out);
      }
      return;
    }
    if (aMissing && bMissing) {
      return;
    }
    if (aMissing || bMissing || !sameValue(a, b)) {
      out.add((path.isEmpty() ? "(top level)" : path) + ": " + show(a) + " in the folder, " + show(b) + " here");
    }
  }

  private static boolean sameValue(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    return a.equals(b);
  }

  private static String show(JsonNode n) {
    return n == null || n.isMissingNode() ? "(absent)" : n.toString();
  }

  /**
   * Takes the folder's lock for {@code identity}'s run (creating the folder), checks it again under the lock, binds the
   * folder to the identity if it is new, and removes temporary files a killed process left. Close the lock when the
   * run ends.
   *
   * @param holder what the holder is, for the message another process gets (e.g. the command line)
   * @throws IllegalStateException when another process (or another run in this process) holds the lock, naming it
   */
  public Lock lock(Identity identity, String holder) {
    Lock held = acquire(holder, null);
    try {
      State state = checkFor(identity);
      if (state == State.NEW) {
        Json.writeFile(dir.resolve(CONFIG_FILE), identity);
      }
      removeLeftovers();
      return new Lock(held.channel, held.lock, state);
    } catch (RuntimeException e) {
      held.close();
      throw e;
    }
  }

  /**
   * Whether another process holds the folder's lock now (a run is working in it). Writes nothing: a folder without a
   * lock file, or with an empty one (released), is free without probing; otherwise the lock is tried and released at
   * once. Do not call it in the process that holds the lock (closing the probe's channel may release that process's
   * lock on some systems).
   */
  public boolean busy() {
    Path file = dir.resolve(LOCK_FILE);
    try {
      if (!Files.isRegularFile(file) || Files.size(file) == 0) {
        return false;
      }
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        FileLock lock;
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
          return true;
        }
        if (lock == null) {
          return true;
        }
        lock.release();
        return false;
      }
    } catch (IOException e) {
      return false; // vanished or unreadable: nobody we can see holds it
    }
  }

  /** Who holds (or last held) the folder's lock, as its holder wrote it; "" when unknown. */
  public String lockHolder() {
    try {
      Path file = dir.resolve(LOCK_FILE);
      return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : "";
    } catch (IOException e) {
      return "";
    }
  }

  private Lock acquire(String holder, State state) {
    Path file = dir.resolve(LOCK_FILE);
    FileChannel channel = null;
    try {
      Files.createDirectories(dir);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        String who = Files.readString(file, StandardCharsets.UTF_8).trim();
        channel.close();
        throw new IllegalStateException("run folder " + dir + " is in use by another run ("
            + (who.isEmpty() ? "holder unknown" : who) + "); wait for it to end, or use another --out folder");
      }
      String me = "pid " + ProcessHandle.current().pid() + " on " + host() + " since " + Instant.now()
          + (holder == null || holder.isBlank() ? "" : ": " + holder);
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(true);
      return new Lock(channel, lock, state);
    } catch (IOException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw new UncheckedIOException("cannot lock run folder " + dir + ": " + e.getMessage(), e);
    }
  }

  private static String host() {
    String name = ManagementFactory.getRuntimeMXBean().getName(); // "pid@host"
    int at = name.indexOf('@');
    return at >= 0 ? name.substring(at + 1) : "this host";
  }

  /**
   * Removes what a killed writer leaves: {@code *.tmp} files of {@link Json#writeFile}, {@code NAME.tmp-N} folders of
   * {@link Checkpoint#write}, and {@code NAME.old-N} folders once {@code NAME} holds a complete checkpoint (before
   * that, an {@code .old-N} folder may be the only copy and is kept). Call only while holding the lock.
   */
  private void removeLeftovers() {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        String name = p.getFileName().toString();
        var m = TEMP_DIR.matcher(name);
        if (Files.isDirectory(p) && m.matches()) {
          boolean old = m.group(2).equals("old");
          Path sibling = p.resolveSibling(m.group(1));
          if (!old || Files.isRegularFile(sibling.resolve(Checkpoint.JSON_FILE))) {
            FileTrees.deleteRecursively(p);
          }
        } else if (Files.isRegularFile(p) && name.endsWith(".tmp")) {
          Files.delete(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean temporary files in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The held lock of a run folder; closing it releases the lock. */
  public static final class Lock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;
    private final State state;

    private Lock(FileChannel channel, FileLock lock, State state) {
      this.channel = channel;
      this.lock = lock;
      this.state = state;
    }

    /** The folder's state when the lock was taken (NEW: it is now bound to the run's identity). */
    public State state() {
      return state;
    }

    @Override
    public void close() {
      try {
        if (lock.isValid()) {
          channel.truncate(0);
          lock.release();
        }
        channel.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot release a run folder lock: " + e.getMessage(), e);
      }
    }
  }
}
