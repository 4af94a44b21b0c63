package org.bsq.core.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
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
  }

  @Test
  void commitOfTheRepositoryIsAHash() {
    String commit = Provenance.gitCommit(Path.of(".").toAbsolutePath());
    // Inside the project checkout (tests run from a module folder) the commit is 40 hex digits, maybe "-dirty".
    assertTrue(commit.equals("unknown") || commit.matches("[0-9a-f]{40}(-dirty)?"), commit);
  }
}
