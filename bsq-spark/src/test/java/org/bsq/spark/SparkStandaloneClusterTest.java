package org.bsq.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bsq.bench.store.ResultStore;
import org.bsq.bench.sweep.RunState;
import org.bsq.bench.sweep.SweepDistributor;
import org.bsq.bench.sweep.SweepFile;
import org.bsq.bench.sweep.SweepPlan;
import org.bsq.bench.sweep.SweepResult;
import org.bsq.core.harness.RunFolder;
import org.bsq.core.train.Checkpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on this machine: a master and a worker started as separate JVMs from the test's
 * class path (Spark's jars), the sweep submitted to {@code spark://127.0.0.1:PORT}. While a run is in its finetuning,
 * its executor ({@code CoarseGrainedExecutorBackend}) is killed with SIGKILL: the run's child exits with it, Spark
 * retries the task on a new executor, the run continues from its checkpoint and the store holds it once.
 */
@Tag("integration")
class SparkStandaloneClusterTest {
  @TempDir
  Path tmp;

  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void stopCluster() throws InterruptedException {
    for (Process p : started) { // the worker first would be nicer; both are ours and end here
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private Process startJvm(String name, Path home, List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m"));
    command.addAll(SparkSweepDistributor.ADD_OPENS);
    command.addAll(List.of("-cp", System.getProperty("java.class.path")));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(tmp.resolve(name + ".log").toFile());
    Map<String, String> env = pb.environment();
    // jars/ is empty: the executor's class path is spark.executor.extraClassPath, which the driver sets to its own
    env.put("SPARK_HOME", home.toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    started.add(p);
    return p;
  }

  private static void awaitPort(int port, Process p, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      assertTrue(p.isAlive(), () -> "the master died: " + read(log));
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    throw new AssertionError("the master did not listen on " + port + ": " + read(log));
  }

  /** A process's whole command line (Linux; ProcessHandle.Info may shorten a long class path). */
  private static String cmdline(ProcessHandle h) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(h.pid()), "cmdline"))).replace('\0', ' ');
    } catch (IOException e) {
      return h.info().commandLine().orElse("");
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "(no " + p + ")";
    }
  }

  @Test
  void aKilledExecutorsRunIsRetriedContinuesFromItsCheckpointAndIsStoredOnce() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("spark-home").resolve("jars")).getParent();
    int port = freePort();
    Process master = startJvm("master", home, List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
        "--port", String.valueOf(port), "--webui-port", "0"));
    awaitPort(port, master, tmp.resolve("master.log"));
    Process worker = startJvm("worker", home, List.of("org.apache.spark.deploy.worker.Worker",
        "spark://127.0.0.1:" + port, "--host", "127.0.0.1", "--cores", "2", "--memory", "2g", "--webui-port", "0",
        "--work-dir", tmp.resolve("work").toString()));

    Files.writeString(tmp.resolve("uniform.yaml"), SparkLocalSweepTest.EXPERIMENT);
    Files.writeString(tmp.resolve("finetuned.yaml"), SparkLocalSweepTest.EXPERIMENT.replace(", mode: ptq", "")
        + "finetune: {epochs: 8, learningRate: 0.05}\n");
    Path file = Files.writeString(tmp.resolve("cluster.yaml"), """
        name: cluster
        runs:
          - {id: long, config: finetuned.yaml}
          - {id: quick, config: uniform.yaml}
        """);
    Path out = tmp.resolve("out");
    String store = "jdbc:sqlite:" + tmp.resolve("results.db");
    SweepPlan plan = SweepFile.read(file).plan(1.0, out);
    Map<String, String> conf = new HashMap<>(SparkLocalSweepTest.testConf());
    conf.put("spark.executor.memory", "512m");
    conf.put("spark.task.maxFailures", "4");
    StringWriter log = new StringWriter();
    SweepDistributor.Request request = new SweepDistributor.Request("spark://127.0.0.1:" + port, store, null,
        new PrintWriter(log, true), List.of("-Xmx1g", "-Xss8m"), null);
    CompletableFuture<SweepResult> sweep = CompletableFuture.supplyAsync(
        () -> new SparkSweepDistributor(conf).run(plan, request));

    // wait for the long run's first finetuning checkpoint, then kill its executor
    Path runDir = out.resolve("long");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (!Checkpoint.exists(runDir.resolve("finetune")) && System.nanoTime() < deadline && !sweep.isDone()) {
      Thread.sleep(20);
    }
    assertTrue(Checkpoint.exists(runDir.resolve("finetune")), () -> log + "\n" + read(tmp.resolve("worker.log")));
    List<ProcessHandle> executors = worker.descendants()
        .filter(h -> cmdline(h).contains("CoarseGrainedExecutorBackend")).toList();
    assertEquals(1, executors.size(), "one executor of the worker");
    ProcessHandle executor = executors.get(0);
    List<ProcessHandle> runChildren = executor.children()
        .filter(h -> cmdline(h).contains("--exit-with-parent")).toList();
    assertTrue(runChildren.stream().anyMatch(h -> cmdline(h).contains(runDir.toString())),
        "the long run's child bsq run among the executor's children");
    assertTrue(executor.destroyForcibly());
    for (ProcessHandle child : runChildren) {
      child.onExit().get(30, TimeUnit.SECONDS); // --exit-with-parent: it does not outlive its executor
    }

    SweepResult result = sweep.get(300, TimeUnit.SECONDS);
    String printed = log.toString();
    assertEquals(RunState.DONE, result.outcome("long").state(), printed);
    assertEquals(RunState.DONE, result.outcome("quick").state(), printed);
    Matcher m = Pattern.compile("sweep: done long: .*\\(attempt (\\d+) on executor ([^,\\s]+)").matcher(printed);
    assertTrue(m.find(), printed);
    assertTrue(Integer.parseInt(m.group(1)) >= 1, "a retried attempt: " + printed);
    assertTrue(Pattern.compile("sweep: attempt 0 of long on executor 0@127\\.0\\.0\\.1 ended without a result "
        + "\\(ExecutorLostFailure").matcher(printed).find(), printed);
    assertTrue(printed.contains("sweep: start long (attempt " + m.group(1) + " on executor " + m.group(2)), printed);
    String runLog = read(runDir.resolve("sweep.log"));
    assertTrue(runLog.contains("bsq run: continuing the interrupted run"), runLog);
    assertTrue(runLog.contains("attempt 0") && runLog.contains("attempt " + m.group(1)), runLog);
    assertEquals(8, result.outcome("long").record().trajectory().finetune().size());
    assertFalse(RunFolder.at(runDir).busy());
    Map<String, Long> counts = ResultStore.open(store).countsByHash();
    assertEquals(Map.of(result.outcome("long").record().configHash(), 1L,
        result.outcome("quick").record().configHash(), 1L), counts);
    System.out.printf("standalone fault test: killed executor pid %d (its child pid %s) after the first finetuning "
        + "checkpoint; long done on attempt %s (executor %s); store rows %s%n", executor.pid(),
        runChildren.stream().map(h -> String.valueOf(h.pid())).toList(), m.group(1), m.group(2), counts);
  }
}
