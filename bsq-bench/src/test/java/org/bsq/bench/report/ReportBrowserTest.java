package org.bsq.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bsq.core.json.Json;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens a report in a real headless browser (Debian's {@code chromium}): the page's inline script records script and
 * loading errors and every image's natural size into {@code <pre id="render-check">}, which the dumped DOM shows.
 * Also saves a screenshot as {@code target/report-screenshot.png}. Skipped without chromium unless
 * {@value #REQUIRE_ENV}=1 (.ci/run sets it), which turns a missing browser into a failure.
 */
class ReportBrowserTest {
  static final String REQUIRE_ENV = "BSQ_REQUIRE_CHROMIUM";
  static final String BROWSER_ENV = "BSQ_CHROMIUM";

  /** The browser binary: $BSQ_CHROMIUM, else chromium or chromium-browser on the PATH or in /usr/bin. */
  private static Path browser() {
    List<Path> candidates = new ArrayList<>();
    String env = System.getenv(BROWSER_ENV);
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    }
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "" : path).split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir, "chromium"));
        candidates.add(Path.of(dir, "chromium-browser"));
      }
    }
    candidates.add(Path.of("/usr/bin/chromium"));
    for (Path p : candidates) {
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    String why = "chromium not found (looked at $" + BROWSER_ENV + ", chromium and chromium-browser on the PATH, "
        + "/usr/bin/chromium); install it with apt-get install chromium";
    if ("1".equals(System.getenv(REQUIRE_ENV)) || "true".equalsIgnoreCase(System.getenv(REQUIRE_ENV))) {
      Assertions.fail("a browser is required (" + REQUIRE_ENV + "=1) but " + why);
    }
    Assumptions.abort(why);
    return null;
  }

  private static String run(Path browser, Path profile, Path log, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--no-first-run", "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--virtual-time-budget=10000"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    byte[] out;
    try {
      out = p.getInputStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new AssertionError("chromium did not finish in 120 s: " + cmd);
      }
    } finally {
      p.destroyForcibly();
    }
    assertEquals(0, p.exitValue(), "chromium failed: " + cmd + "\n" + tail(log));
    return new String(out, StandardCharsets.UTF_8);
  }

  private static String tail(Path log) throws IOException {
    String s = Files.exists(log) ? Files.readString(log) : "";
    return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
  }

  @Test
  void theReportRendersInAHeadlessBrowserWithEveryFigureLoaded(@TempDir Path tmp) throws Exception {
    Path browser = browser();
    Path html = Report.write(ReportFixtures.standard(), tmp.resolve("report"));
    int figures = Report.build(ReportFixtures.standard()).figures().size();
    String url = html.toUri().toString();
    String dom = run(browser, tmp.resolve("profile"), tmp.resolve("chromium.log"), "--dump-dom", url);
    Matcher m = Pattern.compile("<pre id=\"render-check\"[^>]*>(.*?)</pre>", Pattern.DOTALL).matcher(dom);
    assertTrue(m.find(), "no render-check element in the dumped DOM:\n" + dom);
    String text = m.group(1).replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">")
        .replace("&amp;", "&");
    assertTrue(!text.isBlank(), "the page's load handler did not run (render-check empty)");
    JsonNode check = Json.files().readTree(text);
    assertEquals(0, check.get("errors").size(), "page errors: " + check.get("errors"));
    assertEquals(figures, check.get("images").size(), text);
    for (JsonNode img : check.get("images")) {
      assertTrue(img.get("width").asInt() > 0 && img.get("height").asInt() > 0, "not rendered: " + img);
    }

    Path screenshot = Path.of("target", "report-screenshot.png").toAbsolutePath();
    Files.createDirectories(screenshot.getParent());
    Files.deleteIfExists(screenshot);
    run(browser, tmp.resolve("profile2"), tmp.resolve("chromium2.log"), "--screenshot=" + screenshot,
        "--window-size=1280,2000", url);
    assertTrue(Files.size(screenshot) > 10_000, "screenshot " + screenshot + " is too small");
  }

  @Test
  void aMissingFigureShowsUpAsAnError(@TempDir Path tmp) throws Exception {
    Path browser = browser();
    Path html = Report.write(ReportFixtures.standard(), tmp.resolve("report"));
    Files.delete(html.resolveSibling("figures/pareto-avgbits.png"));
    String dom = run(browser, tmp.resolve("profile"), tmp.resolve("chromium.log"), "--dump-dom",
        html.toUri().toString());
    Matcher m = Pattern.compile("<pre id=\"render-check\"[^>]*>(.*?)</pre>", Pattern.DOTALL).matcher(dom);
    assertTrue(m.find());
    JsonNode check = Json.files().readTree(m.group(1).replace("&quot;", "\"").replace("&amp;", "&"));
    assertEquals("cannot load figures/pareto-avgbits.png", check.get("errors").get(0).asText(), check.toString());
    boolean zero = false;
    for (JsonNode img : check.get("images")) {
      zero |= img.get("src").asText().equals("figures/pareto-avgbits.png") && img.get("width").asInt() == 0;
    }
    assertTrue(zero, check.toString());
  }
}
