package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.bsq.bench.cli.BsqCliTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configs and options fail early and precisely (issue 8, section 2 and the first-hour items), before any write. */
class UsageErrorsCliTest {
  static Result run(String... args) {
    return BsqCliTest.run(args);
  }

  @Test
  void anEmptyOrCommentOnlyConfigIsAnError(@TempDir Path tmp) throws Exception {
    for (String text : new String[] {"", "# a comment only\n"}) {
      Path cfg = Files.writeString(tmp.resolve("empty.yaml"), text);
      Result r = run("run", cfg.toString(), "--out", tmp.resolve("out").toString());
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().contains("the file is empty or holds only comments"), r.err());
      assertFalse(Files.exists(tmp.resolve("out")));
    }
  }

  @Test
  void syntaxErrorsAndNonFiniteNumbersNameLineColumnAndKey(@TempDir Path tmp) throws Exception {
    Path bad = Files.writeString(tmp.resolve("bad.yaml"), "strategy:\n  name: uniform\n  params: {weightBits: [4}\n");
    Result syntax = run("run", bad.toString(), "--out", tmp.resolve("out").toString());
    assertEquals(2, syntax.code(), syntax.err());
    assertTrue(syntax.err().contains("cannot parse: line 3, column 26 (in strategy.params.weightBits[0]): while parsing a flow sequence"),
        syntax.err());
    Path nan = Files.writeString(tmp.resolve("nan.yaml"), "strategy: {name: uniform}\nfinetune:\n  learningRate: .nan\n");
    Result r = run("run", nan.toString(), "--out", tmp.resolve("out").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("finetune.learningRate: must be a finite number, was '.nan' (line 3, column 17)"),
        r.err());
    assertFalse(Files.exists(tmp.resolve("out")));
  }

  @Test
  void strategyParametersAreCheckedWithTheRestOfTheConfig(@TempDir Path tmp) throws Exception {
    Path cfg = Files.writeString(tmp.resolve("u.yaml"), "strategy:\n  name: uniform\n  params: {weightBits: 40}\n"
        + "seed: x\n");
    Result r = run("run", cfg.toString(), "--set", "strategy.params.activationBit=4", "--out",
        tmp.resolve("out").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("has 2 problems"), r.err());
    assertTrue(r.err().contains("seed: must be an integer, was 'x' (line 4, column 1)"), r.err());
    assertTrue(r.err().contains("strategy.params.activationBit: unknown key; known keys here: [activationBits, "
        + "calibration, mode, overrides, weightBits] (from --set)"), r.err());
    Result range = run("run", cfg.toString(), "--set", "seed=1", "--out", tmp.resolve("out").toString());
    assertEquals(2, range.code(), range.err());
    assertTrue(range.err().contains("strategy.params.weightBits: must be in [1, 16], was 40"), range.err());
    Path unknown = Files.writeString(tmp.resolve("x.yaml"), "strategy:\n  name: magic\n");
    Result u = run("run", unknown.toString(), "--out", tmp.resolve("out").toString());
    assertEquals(2, u.code(), u.err());
    assertTrue(u.err().contains("strategy.name: unknown strategy 'magic'; known: [bsq, haq, hawq, random, scheme, uniform] "
        + "(line 2, column 3)"), u.err());
    assertFalse(Files.exists(tmp.resolve("out")));
  }

  @Test
  void theObjectiveAndTheBudgetAreChecked(@TempDir Path tmp) throws Exception {
    String base = "strategy: {name: uniform}\n";
    String[][] cases = {
        {"objective: {metric: speed}\n", "objective.metric: must be one of [size, latency, energy], was 'speed'"},
        {"objective: {metric: latency}\n", "objective.accelerator: the latency objective needs an accelerator preset"},
        {"objective: {metric: energy, accelerator: tpu}\n", "objective.accelerator: must be one of [bitfusion-e"},
        {"objective: {metric: size, accelerator: stripes}\n", "the size objective is priced by the size model"},
        {"strategy: {name: uniform, epochs: 3}\n", "strategy.epochs: unknown key; known keys here: [budget, name, "
            + "params]"},
        {"strategy: {name: uniform, budget: {evaluations: -1}}\n", "strategy.budget.evaluations: must be >= 0"},
    };
    for (String[] c : cases) {
      Path cfg = Files.writeString(tmp.resolve("o.yaml"), c[0].startsWith("strategy") ? c[0] : base + c[0]);
      Result r = run("run", cfg.toString(), "--out", tmp.resolve("out").toString());
      assertEquals(2, r.code(), c[0] + r.err());
      assertTrue(r.err().contains(c[1]), c[0] + " -> " + r.err());
    }
    assertFalse(Files.exists(tmp.resolve("out")));
  }

  @Test
  void budgetScaleMustBeFiniteAndPositiveBeforeAnything(@TempDir Path tmp) {
    for (String scale : new String[] {"Infinity", "NaN", "0", "-1"}) {
      Result r = run("run", Path.of("..", "configs", "embedded-uniform4.yaml").toString(), "--budget-scale", scale,
          "--out", tmp.resolve("out").toString());
      assertEquals(2, r.code(), scale + ": " + r.err());
      assertTrue(r.err().contains("--budget-scale must be a finite number > 0, was "), r.err());
    }
    assertFalse(Files.exists(tmp.resolve("out")));
  }

  @Test
  void anUnknownCommandListsTheKnownOnes() {
    Result r = run("trian", "--model", "small-cnn");
    assertEquals(2, r.code());
    assertEquals("bsq: unknown command 'trian'; known: [bench, demo, eval, export, help, import, list, report, reproduce, results, run, simulate, sweep, train]",
        r.err().lines().findFirst().orElseThrow());
  }

  static final String[] COMMANDS = {"train", "eval", "run", "simulate", "demo", "bench", "list", "report", "sweep", "reproduce",
      "import", "export"};

  /**
   * picocli warns on System.err about a lone '%' in a description (its tracer keeps the stream of its first use), so
   * the help of every command is printed in a fresh JVM whose error stream is read here.
   */
  @Test
  void everyHelpPrintsWithoutFormatWarnings() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), HelpPrinter.class.getName()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), err);
    for (String command : COMMANDS) {
      assertTrue(out.contains("Usage: bsq " + command), out);
    }
    assertFalse(err.contains("picocli WARN"), err);
    assertEquals("", err.strip());
  }

  /** Main class of the help-printing JVM. */
  public static final class HelpPrinter {
    public static void main(String[] args) {
      java.io.PrintWriter out = new java.io.PrintWriter(System.out, true);
      java.io.PrintWriter err = new java.io.PrintWriter(System.err, true);
      for (String command : COMMANDS) {
        if (BsqCli.execute(new String[] {command, "--help"}, out, err) != 0) {
          System.exit(1);
        }
      }
    }
  }

  /** --download reaches the CIFAR-10 loader (from a local mirror here, so no test ever goes to the internet). */
  @Test
  void downloadIsAnOptionAndNamedWhenDataIsMissing(@TempDir Path tmp) throws Exception {
    Result off = run("eval", "--model", "resnet20", "--dataset", "cifar10", "--data-dir", tmp.toString(),
        "--weights", tmp.toString());
    assertEquals(1, off.code());
    assertTrue(off.err().contains("add --download to bsq train/eval (or set dataset.download: true in an experiment "
        + "file) to fetch https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"), off.err());

    AtomicInteger requests = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/cifar-10-binary.tar.gz", exchange -> {
      requests.incrementAndGet();
      byte[] body = "not the archive".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/cifar-10-binary.tar.gz";
      Result on = run("eval", "--model", "resnet20", "--dataset", "cifar10", "--data-dir", tmp.toString(),
          "--weights", tmp.toString(), "--download", "--download-from", url);
      assertEquals(1, on.code(), on.err());
      assertEquals(1, requests.get(), "one download attempt");
      assertTrue(on.err().contains("Downloading " + url + " failed"), on.err());
      assertTrue(on.err().contains("md5"), "the archive is checked: " + on.err());
    } finally {
      server.stop(0);
    }
    Result alone = run("eval", "--model", "resnet20", "--dataset", "cifar10", "--data-dir", tmp.toString(),
        "--weights", tmp.toString(), "--download-from", "http://127.0.0.1:1/x");
    assertEquals(2, alone.code());
    assertTrue(alone.err().contains("--download-from is used with --download"), alone.err());
  }
}
