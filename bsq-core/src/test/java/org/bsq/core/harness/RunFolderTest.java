package org.bsq.core.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bsq.core.json.Json;
import org.bsq.core.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunFolderTest {
  static RunFolder.Identity identity(double alpha, String weights) {
    ObjectNode config = Json.files().createObjectNode().put("budgetScale", 1.0);
    ObjectNode experiment = config.putObject("experiment");
    experiment.putObject("strategy").put("name", "bsq").putObject("params").put("alpha", alpha).put("bits", 8);
    experiment.put("seed", 42);
    return RunFolder.Identity.of(config, Map.of("data/train", "sha256:aa", "weights", weights));
  }

  @Test
  void aNewFolderIsBoundToItsRunAndRefusesAnyOther(@TempDir Path tmp) throws IOException {
    RunFolder folder = RunFolder.at(tmp.resolve("run"));
    assertEquals(RunFolder.State.NEW, folder.checkFor(identity(1.0, "sha256:w")));
    assertFalse(Files.exists(folder.dir()), "checking writes nothing");
    try (RunFolder.Lock lock = folder.lock(identity(1.0, "sha256:w"), "test")) {
      assertEquals(RunFolder.State.NEW, lock.state());
    }
    assertEquals(identity(1.0, "sha256:w"), folder.identity());
    assertEquals(RunFolder.State.INTERRUPTED, folder.checkFor(identity(1.0, "sha256:w")), "started, no record");

    IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
        () -> folder.checkFor(identity(0.01, "sha256:w")));
    assertTrue(other.getMessage().contains("differs in 1 key: experiment.strategy.params.alpha: 1.0 in the folder, "
        + "0.01 here. A run folder holds one run: use a new --out folder"), other.getMessage());
    IllegalArgumentException inputs = assertThrows(IllegalArgumentException.class,
        () -> folder.checkFor(identity(1.0, "sha256:v")));
    assertTrue(inputs.getMessage().contains("weights was sha256:w when the run started, is sha256:v now"),
        inputs.getMessage());
  }

  @Test
  void differencesListEveryLeafWithBothValues() {
    ObjectNode a = Json.files().createObjectNode();
    a.putObject("m").put("x", 1).put("y", "s").putArray("l").add(1).add(2);
    a.put("gone", true);
    ObjectNode b = Json.files().createObjectNode();
    b.putObject("m").put("x", 1.0).put("y", "t").putArray("l").add(1).add(3);
    b.put("new", 2);
    assertEquals(List.of("gone: true in the folder, (absent) here", "m.l[1]: 2 in the folder, 3 here",
        "m.y: \"s\" in the folder, \"t\" here", "new: (absent) in the folder, 2 here"),
        RunFolder.differences(a, b), "1 and 1.0 are the same number");
  }

  @Test
  void aForeignOrFileTargetIsRefused(@TempDir Path tmp) throws IOException {
    Files.writeString(tmp.resolve("notes.txt"), "mine");
    IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
        () -> RunFolder.at(tmp).checkFor(identity(1, "w")));
    assertTrue(foreign.getMessage().contains("must be new, empty or a run folder (with config.json), was a folder "
        + "holding [notes.txt]"), foreign.getMessage());
    IllegalArgumentException file = assertThrows(IllegalArgumentException.class,
        () -> RunFolder.at(tmp.resolve("notes.txt")).checkFor(identity(1, "w")));
    assertTrue(file.getMessage().startsWith("run folder must be a folder, was a file"), file.getMessage());
  }

  @Test
  void theLockIsExclusiveWithinAProcessAndNamesItsHolder(@TempDir Path tmp) {
    RunFolder folder = RunFolder.at(tmp);
    try (RunFolder.Lock held = folder.lock(identity(1, "w"), "bsq run first.yaml")) {
      IllegalStateException busy = assertThrows(IllegalStateException.class,
          () -> folder.lock(identity(1, "w"), "bsq run second.yaml"));
      assertTrue(busy.getMessage().contains("is in use by another run (pid " + ProcessHandle.current().pid()),
          busy.getMessage());
      assertTrue(busy.getMessage().contains(": bsq run first.yaml)"), busy.getMessage());
    }
    folder.lock(identity(1, "w"), "again").close();
  }

  /** A second process: the lock is an OS lock, and it is released when its holder dies, however it dies. */
  @Test
  void theLockExcludesAnotherProcessAndDiesWithIt(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("run");
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), LockHolder.class.getName(), dir.toString())
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
        StandardCharsets.UTF_8))) {
      assertEquals("locked", out.readLine(), "the child took the lock");
      IllegalStateException busy = assertThrows(IllegalStateException.class,
          () -> RunFolder.at(dir).lock(identity(1, "w"), "parent"));
      assertTrue(busy.getMessage().contains("(pid " + child.pid() + " on "), busy.getMessage());
      assertTrue(busy.getMessage().contains("lock-holder test process"), busy.getMessage());
    } finally {
      child.destroyForcibly();
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    }
    RunFolder.at(dir).lock(identity(1, "w"), "parent").close();
  }

  /** Main class of the second process. */
  public static final class LockHolder {
    public static void main(String[] args) throws Exception {
      RunFolder.Lock lock = RunFolder.at(Path.of(args[0])).lock(identity(1, "w"), "lock-holder test process");
      System.out.println("locked");
      System.out.flush();
      Thread.sleep(120_000);
      lock.close();
    }
  }

  @Test
  void leftoversOfAKilledWriterAreRemovedButAnOnlyCopyIsKept(@TempDir Path tmp) throws IOException {
    RunFolder folder = RunFolder.at(tmp);
    folder.lock(identity(1, "w"), "t").close();
    Path finetune = Files.createDirectories(tmp.resolve("finetune"));
    Files.createDirectories(finetune.resolve("latest"));
    Files.writeString(finetune.resolve("latest").resolve(Checkpoint.JSON_FILE), "{}");
    Path tmpCheckpoint = Files.createDirectories(finetune.resolve("latest.tmp-123456789"));
    Files.writeString(tmpCheckpoint.resolve(Checkpoint.TENSOR_FILE), "partial");
    Path staleOld = Files.createDirectories(finetune.resolve("latest.old-42"));
    Path strategy = Files.createDirectories(tmp.resolve("strategy"));
    Path onlyCopy = Files.createDirectories(strategy.resolve("model.old-7"));
    Files.writeString(onlyCopy.resolve(Checkpoint.JSON_FILE), "{}");
    Path halfJson = Files.writeString(tmp.resolve("run.json.tmp"), "{\"formatVer");

    try (RunFolder.Lock lock = folder.lock(identity(1, "w"), "t")) {
      assertEquals(RunFolder.State.INTERRUPTED, lock.state());
    }
    assertFalse(Files.exists(tmpCheckpoint), "a checkpoint being written when the writer died");
    assertFalse(Files.exists(staleOld), "a replaced checkpoint, once the new one is in place");
    assertFalse(Files.exists(halfJson), "a JSON file being written");
    assertTrue(Files.exists(onlyCopy.resolve(Checkpoint.JSON_FILE)),
        "an .old copy whose replacement never arrived is the only copy: Checkpoint.resolve finds it");
    assertTrue(Files.exists(finetune.resolve("latest").resolve(Checkpoint.JSON_FILE)));
  }

  @Test
  void aConfigFileOfTheFirstLayoutIsReadAsItsConfiguration(@TempDir Path tmp) throws IOException {
    ObjectNode legacy = Json.files().createObjectNode().put("budgetScale", 0.5);
    legacy.putObject("experiment").put("seed", 1);
    Json.writeFile(tmp.resolve(RunFolder.CONFIG_FILE), legacy);
    RunFolder.Identity id = RunFolder.at(tmp).identity();
    assertEquals(legacy, id.config());
    assertEquals(Harness.hash(legacy), id.configHash());
  }
}
