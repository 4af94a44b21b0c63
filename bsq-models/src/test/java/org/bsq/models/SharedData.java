package org.bsq.models;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates {@code ../shared} (system property {@code bsq.shared.dir}) and skips tests clearly when it is absent. */
final class SharedData {
  private SharedData() {}

  static Path require(String relative) {
    String dir = System.getProperty("bsq.shared.dir");
    assumeTrue(dir != null, "skipped: system property bsq.shared.dir is not set (run through Maven, which points it "
        + "at ../shared)");
    Path p = Path.of(dir).resolve(relative);
    assumeTrue(Files.exists(p), "skipped: " + p + " is absent (the shared data folder is not next to the repository)");
    return p;
  }
}
