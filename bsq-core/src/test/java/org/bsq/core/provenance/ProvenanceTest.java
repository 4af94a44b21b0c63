package org.bsq.core.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bsq.core.engine.onednn.OneDnnBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProvenanceTest {
  @Test
  void collectsThisProcessAndSortsChecksums(@TempDir Path notARepo) {
    Provenance p = Provenance.collect("1.2.3", "onednn", Map.of("b/test", "sha256:2", "a/train", "sha256:1"), notARepo);
    assertEquals("1.2.3", p.projectVersion());
    assertEquals("unknown", p.gitCommit(), "a folder outside any checkout has no commit");
    assertTrue(p.java().startsWith(System.getProperty("java.version")));
    assertFalse(p.cpu().isBlank());
    assertEquals("[a/train, b/test]", p.dataChecksums().keySet().stream().sorted().toList().toString());
    assertEquals(Provenance.cpuIsa("onednn"), p.cpuIsa());
    assertEquals("none", Provenance.collect("1.2.3", "reference", Map.of(), notARepo).cpuIsa(),
        "the plain-Java backend runs no oneDNN kernels");
  }

  @Test
  void cpuIsaOfOneDnnIsItsEffectiveLevel() {
    OneDnnBackend.Availability a = OneDnnBackend.availability();
    assumeTrue(a.available(), "skipped: oneDNN cannot be loaded: " + a.reason());
    assertEquals(a.cpuIsa().id(), Provenance.cpuIsa("onednn"));
    assertTrue(a.reason().contains("ISA " + a.cpuIsa().id()), a.reason());
  }

  @Test
  void readsRecordsWrittenBeforeCpuIsaExisted() throws Exception {
    String old = "{\"projectVersion\":\"0.1\",\"gitCommit\":\"unknown\",\"java\":\"17\",\"os\":\"Linux\","
        + "\"cpu\":\"EPYC x2\",\"backend\":\"onednn\",\"threads\":\"2\",\"dataChecksums\":{\"a\":\"sha256:1\"},"
        + "\"startedAt\":\"2025-01-01T00:00:00Z\"}";
    ObjectMapper json = org.bsq.core.json.Json.files();  // the mapper that reads run.json
    Provenance p = json.readValue(old, Provenance.class);
    assertEquals("unknown", p.cpuIsa());
    assertEquals("2", p.threads());
    Provenance again = json.readValue(json.writeValueAsString(p), Provenance.class);
    assertEquals(p, again);
    assertTrue(json.writeValueAsString(p).contains("\"cpuIsa\":\"unknown\""));
  }

  /** A repository of its own: the commit is its HEAD, with "-dirty" exactly when a tracked file changed. */
  @Test
  void commitOfARepositoryIsItsHeadAndDirtyWhenChanged(@TempDir Path repo) throws Exception {
    assumeTrue(git(repo, "--version") != null, "skipped: no git on this machine");
    git(repo, "init", "-q");
    Files.writeString(repo.resolve("a.txt"), "one");
    git(repo, "add", "a.txt");
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first");
    String head = git(repo, "rev-parse", "HEAD").trim();
    assertTrue(head.matches("[0-9a-f]{40}"), head);
    assertEquals(head, Provenance.gitCommit(repo));
    Files.createDirectories(repo.resolve("sub"));
    assertEquals(head, Provenance.gitCommit(repo.resolve("sub")), "found from a folder inside the checkout");
    Files.writeString(repo.resolve("untracked.txt"), "not part of the build");
    assertEquals(head, Provenance.gitCommit(repo), "untracked files do not make the tree dirty");
    Files.writeString(repo.resolve("a.txt"), "two");
    assertEquals(head + "-dirty", Provenance.gitCommit(repo));
  }

  private static String git(Path dir, String... args) throws Exception {
    java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("git"));
    command.addAll(java.util.List.of(args));
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      return p.waitFor() == 0 ? out : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }
}
