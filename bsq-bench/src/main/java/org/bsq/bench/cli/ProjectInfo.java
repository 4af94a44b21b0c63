package org.bsq.bench.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Build-time facts filtered into {@code bsq-version.properties}. */
final class ProjectInfo {
  private ProjectInfo() {}

  static String version() {
    Properties p = new Properties();
    try (InputStream in = ProjectInfo.class.getResourceAsStream("/bsq-version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read bsq-version.properties", e);
    }
    return p.getProperty("version", "unknown");
  }
}
