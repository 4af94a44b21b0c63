package org.bsq.core.engine.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.bsq.core.config.ConfigException;
import org.junit.jupiter.api.Test;

/**
 * {@value OneDnnBackend#CPU_ISA_ENV} caps oneDNN's instruction set. oneDNN fixes it once per process, so every case
 * runs {@link CpuIsaChild} in a child JVM with the test's class path and its own environment (oneDNN's own
 * {@code ONEDNN_MAX_CPU_ISA} / {@code DNNL_MAX_CPU_ISA} removed). Holds on AVX2-only and AVX-512 machines alike.
 */
class CpuIsaCapTest {
  /** Result of one child JVM: exit status and the value after {@code isa=} / {@code error=}, else null. */
  private record Child(int exit, String isa, String error, String output) {}

  @Test
  void capAtAvx2MakesOneDnnUseAvx2() throws Exception {
    CpuIsa best = requireAvx2();
    Child capped = runChild("avx2", "probe");
    assertEquals(0, capped.exit(), capped.output());
    assertEquals("avx2", capped.isa(), "effective ISA under " + OneDnnBackend.CPU_ISA_ENV + "=avx2 on a machine "
        + "whose best is " + best + ": " + capped.output());
  }

  @Test
  void withoutCapOneDnnUsesTheMachinesBest() throws Exception {
    CpuIsa best = requireAvx2();
    Set<String> flags = cpuFlags();
    boolean avx512Core = flags.containsAll(List.of("avx512f", "avx512bw", "avx512vl", "avx512dq"));
    if (avx512Core) {
      assertTrue(best.includes(CpuIsa.AVX512_CORE), "/proc/cpuinfo has AVX-512 (F, BW, VL, DQ), oneDNN uses " + best);
    } else {
      assertTrue(best.includes(CpuIsa.AVX2) && !best.includes(CpuIsa.AVX512_CORE),
          "/proc/cpuinfo has AVX2 but not AVX-512 (F, BW, VL, DQ), oneDNN uses " + best);
    }
    Child all = runChild("all", "probe");
    assertEquals(best.id(), all.isa(), "'all' is no cap: " + all.output());
  }

  @Test
  void unknownValueFailsNamingTheAllowedValues() throws Exception {
    Child c = runChild("avx3", "auto");
    assertEquals(3, c.exit(), "an unknown value must fail, not fall back to the reference backend: " + c.output());
    assertTrue(c.error() != null && c.error().startsWith("ConfigException"), c.output());
    for (String part : List.of(OneDnnBackend.CPU_ISA_ENV, "'avx3'", "one of all, sse41, avx, avx2,", "avx512_core")) {
      assertTrue(c.error().contains(part), "message names " + part + ": " + c.error());
    }
    assertFalse(c.output().contains("backend="), "no backend may be chosen: " + c.output());

    ConfigException e = assertThrows(ConfigException.class, () -> CpuIsa.parse("avx3", "BSQ_CPU_ISA"));
    assertEquals(1, e.problems().size());
    assertTrue(e.problems().get(0).contains(String.join(", ", CpuIsa.ids())), e.getMessage());
    assertEquals(CpuIsa.AVX512_CORE_BF16, CpuIsa.parse("avx512_core_bf16", "x"));
    assertEquals(CpuIsa.AVX2, CpuIsa.parse(" AVX2 ", "x"), "case and surrounding blanks are ignored");
  }

  @Test
  void capThatComesTooLateFailsClearly() throws Exception {
    requireAvx2();
    Child c = runChild("avx2", "lock-first");
    assertEquals(3, c.exit(), c.output());
    assertTrue(c.error().contains("could not be applied") && c.error().contains("already fixed"), c.error());
  }

  @Test
  void levelsNestLikeOneDnnsMasks() {
    assertTrue(CpuIsa.AVX512_CORE_BF16.includes(CpuIsa.AVX2));
    assertTrue(CpuIsa.AVX2_VNNI.includes(CpuIsa.AVX2));
    assertFalse(CpuIsa.AVX2.includes(CpuIsa.AVX512_CORE));
    assertFalse(CpuIsa.AVX2_VNNI.includes(CpuIsa.AVX512_CORE));
    assertTrue(CpuIsa.ALL.includes(CpuIsa.AVX512_CORE_AMX));
    for (CpuIsa isa : CpuIsa.values()) {
      assertEquals(isa, CpuIsa.ofCode(isa.code()));
      assertEquals(isa, CpuIsa.parse(isa.id(), "x"));
    }
  }

  /** The uncapped level, skipping the test on machines without oneDNN or without AVX2. */
  private static CpuIsa requireAvx2() throws Exception {
    Child c = runChild(null, "probe");
    assumeTrue(c.isa() != null, "skipped: oneDNN cannot be loaded in a child JVM: " + c.output());
    CpuIsa best = CpuIsa.parse(c.isa(), "child");
    assumeTrue(best.includes(CpuIsa.AVX2), "skipped: this CPU has no AVX2 (oneDNN uses " + best
        + "), so an avx2 cap cannot be observed");
    return best;
  }

  private static Set<String> cpuFlags() throws IOException {
    Path info = Path.of("/proc/cpuinfo");
    assumeTrue(Files.isReadable(info), "skipped: no /proc/cpuinfo to compare oneDNN's choice with");
    return Files.readAllLines(info).stream().filter(l -> l.startsWith("flags")).findFirst()
        .map(l -> Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+")).collect(Collectors.toSet()))
        .orElse(Set.of());
  }

  /** Runs {@link CpuIsaChild} with {@value OneDnnBackend#CPU_ISA_ENV} set to {@code cap} (null: unset). */
  private static Child runChild(String cap, String mode) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"), CpuIsaChild.class.getName(), mode));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.remove(OneDnnBackend.CPU_ISA_ENV);
    env.remove("ONEDNN_MAX_CPU_ISA");
    env.remove("DNNL_MAX_CPU_ISA");
    env.put("OMP_NUM_THREADS", "1");
    if (cap != null) {
      env.put(OneDnnBackend.CPU_ISA_ENV, cap);
    }
    Path log = Files.createTempFile("cpu-isa-child", ".txt");
    try {
      pb.redirectOutput(log.toFile());
      Process p = pb.start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("child JVM did not finish in 120 s: " + Files.readString(log));
      }
      return parse(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static Child parse(int exit, String out) {
    String isa = null;
    String error = null;
    for (String line : out.split("\n")) {
      if (line.startsWith("isa=")) {
        isa = line.substring(4).trim();
      } else if (line.startsWith("error=")) {
        error = line.substring(6).trim();
      }
    }
    return new Child(exit, isa, error, out.strip());
  }
}
