package org.bsq.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyContract;
import org.bsq.core.strategy.StrategyOutcome;
import org.bsq.core.strategy.StrategyPlugin;
import org.bsq.core.strategy.StrategyRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/extending.md stays true: every {@code ```java} block is a complete compilation unit, they compile together
 * against this module's test class path (bsq-core and its test jar, JUnit, Jackson, Guice), the example plugin
 * registers its strategy through {@link StrategyRegistry} (explicitly and through the services file the page shows)
 * and the strategy runs on the contract's tiny problem. Blocks in any other fence language are not compiled.
 */
class ExtendingDocTest {
  private static final Path DOC = Path.of("..", "docs", "extending.md");
  private static final String DOC_NAME = "docs/extending.md";
  private static final Pattern FENCE = Pattern.compile("^```\\s*([\\w+-]*)\\s*$");
  private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
  private static final Pattern TOP_LEVEL_TYPE = Pattern.compile(
      "^(?:(?:public|final|abstract|sealed|non-sealed|strictfp)\\s+)*(?:class|interface|record|enum|@interface)\\s+"
          + "(\\w+)", Pattern.MULTILINE);

  /** One fenced block: its language, its text and the .md line (1-based) of its first content line. */
  record Block(String language, String text, int firstLine) {
    List<String> lines() { return text.lines().toList(); }
  }

  /** A {@code java} block as a source file. */
  record Snippet(Block block, String packageName, String typeName) {
    String className() { return packageName + "." + typeName; }
  }

  static List<Block> blocks(List<String> md) {
    List<Block> out = new ArrayList<>();
    String language = null;
    int first = 0;
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < md.size(); i++) {
      Matcher m = FENCE.matcher(md.get(i));
      if (language == null) {
        if (m.matches()) {
          language = m.group(1).toLowerCase(Locale.ROOT);
          first = i + 2;
          text.setLength(0);
        }
      } else if (md.get(i).startsWith("```")) {
        out.add(new Block(language, text.toString(), first));
        language = null;
      } else {
        text.append(md.get(i)).append('\n');
      }
    }
    if (language != null) {
      fail(DOC_NAME + ":" + (first - 1) + ": fenced block is never closed");
    }
    return out;
  }

  static Snippet snippet(Block b) {
    Matcher p = PACKAGE.matcher(b.text());
    Matcher t = TOP_LEVEL_TYPE.matcher(b.text());
    if (!p.find() || !t.find()) {
      fail(DOC_NAME + ":" + b.firstLine() + ": a ```java block must be a complete compilation unit (package, imports,"
          + " a top-level type); mark a deliberately partial snippet with another fence language, e.g. ```text");
    }
    return new Snippet(b, p.group(1), t.group(1));
  }

  @Test
  void javaSnippetsCompileAndTheExamplePluginRuns(@TempDir Path tmp) throws Exception {
    assertTrue(Files.isRegularFile(DOC), "expected the page at " + DOC.toAbsolutePath());
    List<Block> blocks = blocks(Files.readAllLines(DOC, StandardCharsets.UTF_8));
    List<Snippet> snippets = new ArrayList<>();
    for (Block b : blocks) {
      if (b.language().equals("java")) {
        snippets.add(snippet(b));
      }
    }
    assertFalse(snippets.isEmpty(), DOC_NAME + " has no ```java block");

    // Write each block to its own source file (package folders, file named after its first top-level type).
    Path src = tmp.resolve("src");
    Path classes = Files.createDirectories(tmp.resolve("classes"));
    Map<Path, Snippet> byFile = new HashMap<>();
    for (Snippet s : snippets) {
      Path file = src.resolve(s.packageName().replace('.', '/')).resolve(s.typeName() + ".java");
      Snippet other = byFile.put(file.toAbsolutePath().normalize(), s);
      if (other != null) {
        fail(DOC_NAME + ":" + s.block().firstLine() + ": declares " + s.className() + " again (also at line "
            + other.block().firstLine() + ")");
      }
      Files.createDirectories(file.getParent());
      Files.writeString(file, s.block().text(), StandardCharsets.UTF_8);
    }

    compile(byFile, classes);

    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
        getClass().getClassLoader())) {
      List<Class<?>> plugins = new ArrayList<>();
      List<Class<?>> contracts = new ArrayList<>();
      for (Snippet s : snippets) {
        Class<?> c = loader.loadClass(s.className());
        if (StrategyPlugin.class.isAssignableFrom(c) && !Modifier.isAbstract(c.getModifiers())) {
          plugins.add(c);
        }
        if (StrategyContract.class.isAssignableFrom(c) && !Modifier.isAbstract(c.getModifiers())) {
          contracts.add(c);
        }
      }
      assertEquals(1, plugins.size(), DOC_NAME + " should show one StrategyPlugin (the example's), found " + plugins);
      assertEquals(1, contracts.size(), DOC_NAME + " should show one StrategyContract test, found " + contracts);
      Class<?> pluginClass = plugins.get(0);

      // The contract test names the strategy and gives its parameters and the tiny problem.
      StrategyContract contract = (StrategyContract) newInstance(contracts.get(0));
      String name = (String) call(contract, "registeredName");
      QuantizationStrategy direct = (QuantizationStrategy) call(contract, "strategy");

      // Registered explicitly through the plugin module.
      StrategyRegistry registry = StrategyRegistry.of(List.of((StrategyPlugin) newInstance(pluginClass)));
      assertTrue(registry.names().contains(name), "the example plugin registers " + registry.names()
          + ", its contract test expects '" + name + "'");
      QuantizationStrategy registered = registry.get(name);
      assertEquals(direct.getClass(), registered.getClass());

      StrategyContext ctx = (StrategyContext) call(contract, "context", 3L, tmp.resolve("work"));
      assertEquals(call(contract, "parameters"), ctx.parameters());
      StrategyOutcome outcome = registered.run(ctx);
      assertNotNull(outcome);
      outcome.scheme().checkAgainst(ctx.layers());
      assertTrue(outcome.scheme().averageBits(ctx.layers()) > 0, outcome.scheme().toString());

      // Discovered as ./bsq discovers it: the services file with the line the page shows.
      Block services = blocks.stream()
          .filter(b -> !b.language().equals("java") && b.lines().stream().map(String::trim)
              .anyMatch(pluginClass.getName()::equals))
          .findFirst()
          .orElseThrow(() -> new AssertionError(DOC_NAME + " should show the services file line "
              + pluginClass.getName()));
      Path servicesFile = classes.resolve("META-INF/services/" + StrategyPlugin.class.getName());
      Files.createDirectories(servicesFile.getParent());
      Files.writeString(servicesFile, services.text(), StandardCharsets.UTF_8);
      Thread thread = Thread.currentThread();
      ClassLoader previous = thread.getContextClassLoader();
      thread.setContextClassLoader(loader);
      try {
        StrategyRegistry discovered = StrategyRegistry.discover();
        assertTrue(discovered.names().contains(name), "discovered " + discovered.names());
        assertTrue(discovered.names().contains(UniformStrategy.NAME), "discovered " + discovered.names());
        assertEquals(direct.getClass(), discovered.get(name).getClass());
      } finally {
        thread.setContextClassLoader(previous);
      }
    }
  }

  /** Compiles the snippets together; a failure lists every error at its line in the page. */
  private static void compile(Map<Path, Snippet> byFile, Path classes) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertNotNull(javac, "no system Java compiler: run the tests on a JDK (e.g. openjdk-17-jdk-headless), not a JRE");
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT,
        StandardCharsets.UTF_8)) {
      Iterable<? extends JavaFileObject> units = files.getJavaFileObjectsFromPaths(byFile.keySet());
      List<String> options = List.of("-d", classes.toString(), "-classpath", System.getProperty("java.class.path"),
          "--release", "17", "-proc:none", "-Xlint:all,-processing,-serial", "-encoding", "UTF-8");
      boolean ok = javac.getTask(null, files, diagnostics, options, null, units).call();
      if (!ok) {
        StringBuilder msg = new StringBuilder(DOC_NAME + ": the ```java snippets do not compile:\n");
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
          if (d.getKind() != Diagnostic.Kind.ERROR && d.getKind() != Diagnostic.Kind.WARNING) {
            continue;
          }
          msg.append(where(byFile, d)).append(": ").append(d.getKind().toString().toLowerCase(Locale.ROOT))
              .append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
          Snippet s = d.getSource() == null ? null : byFile.get(Path.of(d.getSource().toUri()).toAbsolutePath()
              .normalize());
          if (s != null && d.getLineNumber() > 0 && d.getLineNumber() <= s.block().lines().size()) {
            msg.append("    ").append(s.block().lines().get((int) d.getLineNumber() - 1).strip()).append('\n');
          }
        }
        fail(msg.toString());
      }
    }
  }

  /** {@code docs/extending.md:LINE} for a diagnostic in a snippet (the page's line, not the temporary file's). */
  private static String where(Map<Path, Snippet> byFile, Diagnostic<? extends JavaFileObject> d) {
    if (d.getSource() == null) {
      return DOC_NAME;
    }
    Snippet s = byFile.get(Path.of(d.getSource().toUri()).toAbsolutePath().normalize());
    if (s == null || d.getLineNumber() <= 0) {
      return d.getSource().getName();
    }
    return DOC_NAME + ":" + (s.block().firstLine() + d.getLineNumber() - 1) + " (" + s.typeName() + ".java:"
        + d.getLineNumber() + ")";
  }

  private static Object newInstance(Class<?> type) throws ReflectiveOperationException {
    Constructor<?> c = type.getDeclaredConstructor();
    c.setAccessible(true);
    return c.newInstance();
  }

  /** Calls one of StrategyContract's protected methods (the test class overrides them). */
  private static Object call(StrategyContract contract, String method, Object... args)
      throws ReflectiveOperationException {
    Method m = switch (method) {
      case "context" -> StrategyContract.class.getDeclaredMethod(method, long.class, Path.class);
      default -> StrategyContract.class.getDeclaredMethod(method);
    };
    m.setAccessible(true);
    return m.invoke(contract, args);
  }
}
