package org.bsq.core.provenance;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.bsq.core.engine.onednn.OneDnnBackend;

/**
 * Where a result came from: project version and git commit, JVM, OS, CPU, compute backend, the instruction set its
 * kernels used and the thread count, the checksums of the data it read, and when it started. Written into every run
 * record.
 *
 * @param projectVersion the framework's version
 * @param gitCommit the working tree's commit, with {@code -dirty} when it had uncommitted changes; "unknown" outside
 *     a git checkout
 * @param java Java version and VM
 * @param os operating system and architecture
 * @param cpu CPU model and number of cores
 * @param backend compute backend (e.g. "onednn")
 * @param cpuIsa the instruction set oneDNN's kernels used (e.g. "avx2", "avx512_core_bf16"; it decides their float
 *     summation order, see {@link #cpuIsa(String)}), "none" for a backend without oneDNN, "unknown" in records
 *     written before this field existed
 * @param threads {@code OMP_NUM_THREADS}, or "unset"
 * @param dataChecksums data split name -> checksum of the bytes read (e.g. "cifar10/train" -> "sha256:...")
 * @param startedAt ISO-8601 start time
 */
public record Provenance(String projectVersion, String gitCommit, String java, String os, String cpu, String backend,
                         String cpuIsa, String threads, Map<String, String> dataChecksums, String startedAt) {
  public Provenance {
    cpuIsa = cpuIsa == null ? "unknown" : cpuIsa;
    dataChecksums = Map.copyOf(new TreeMap<>(dataChecksums));
  }

  /** Collects the facts of this process; {@code workingDir} is searched for the git checkout. */
  public static Provenance collect(String projectVersion, String backend, Map<String, String> dataChecksums,
                                   Path workingDir) {
    return new Provenance(projectVersion, gitCommit(workingDir),
        System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")",
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
        cpuModel(), backend, cpuIsa(backend), System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"), dataChecksums,
        Instant.now().toString());
  }

  /**
   * The instruction set the named backend's native kernels use in this process: oneDNN's effective level for
   * {@code onednn} (after the {@code BSQ_CPU_ISA} cap, see {@link OneDnnBackend#CPU_ISA_ENV}), "unavailable" when
   * oneDNN cannot be loaded, "none" for any other backend (plain Java, whose float results do not depend on it).
   */
  public static String cpuIsa(String backend) {
    if (!OneDnnBackend.NAME.equals(backend)) {
      return "none";
    }
    OneDnnBackend.Availability a = OneDnnBackend.availability();
    return a.available() ? a.cpuIsa().id() : "unavailable";
  }

  static String gitCommit(Path dir) {
    String head = run(dir, "git", "rev-parse", "HEAD");
    if (head == null || head.isBlank()) {
      return "unknown";
    }
    String status = run(dir, "git", "status", "--porcelain", "--untracked-files=no");
    return head.trim() + (status != null && !status.isBlank() ? "-dirty" : "");
  }

  private static String run(Path dir, String... command) {
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
      return out;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** CPU model name and core count, from /proc/cpuinfo where available. */
  public static String cpuModel() {
    int cores = Runtime.getRuntime().availableProcessors();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim() + " x" + cores;
        }
      }
    } catch (IOException | RuntimeException e) {
      return System.getProperty("os.arch") + " x" + cores;
    }
    return System.getProperty("os.arch") + " x" + cores;
  }
}
