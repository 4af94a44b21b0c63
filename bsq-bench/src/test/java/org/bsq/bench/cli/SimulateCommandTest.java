package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bsq.hwsim.HwJson;
import org.bsq.hwsim.Presets;
import org.bsq.hwsim.Workloads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bsq simulate} with several accelerators (one table relative to the int8 preset, checked against single
 * runs of the same command) and its bit-width validation.
 */
class SimulateCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] RESNET20_4_4 = {"--model", "resnet20", "--bits", "4/4"};

  @TempDir
  Path tmp;

  record Result(int code, String out, String err) {
    JsonNode lastJson() throws Exception {
      List<String> lines = out.lines().toList();
      return JSON.readTree(lines.get(lines.size() - 1));
    }

    /** The comparison table's row of {@code accelerator}, split on blanks. */
    String[] row(String accelerator) {
      List<String> rows = out.lines().filter(l -> l.startsWith(accelerator + " ")).toList();
      assertEquals(1, rows.size(), "one row for " + accelerator + " in\n" + out);
      return rows.get(0).trim().split("\\s+");
    }
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BsqCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  static Result simulate(String accelerator, String... rest) {
    List<String> args = new ArrayList<>(List.of("simulate", "--accelerator", accelerator));
    args.addAll(List.of(rest));
    return run(args.toArray(String[]::new));
  }

  /** The report of a single-accelerator run of the same command. */
  static JsonNode single(String accelerator, String... rest) throws Exception {
    List<String> args = new ArrayList<>(List.of(rest));
    args.add("--json");
    Result r = simulate(accelerator, args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    return r.lastJson();
  }

  private static String times(double ratio) {
    return String.format(Locale.ROOT, "%.2fx", ratio);
  }

  private static String fixed4(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  @Test
  void allPresetsInOneTableWhoseRatiosAreThoseOfSingleRuns() throws Exception {
    Map<String, JsonNode> singles = new HashMap<>();
    for (String p : Presets.names()) {
      singles.put(p, single(p, RESNET20_4_4));
    }
    JsonNode int8 = singles.get("int8");

    Result table = simulate("all", RESNET20_4_4);
    assertEquals(0, table.code(), table.err());
    assertTrue(table.out().startsWith("resnet20 w4a4 (batch 16) on 7 accelerators; ratios are latency and energy "
        + "divided by int8's (the fixed 8-bit baseline)"), table.out());
    assertEquals(1, table.out().lines().filter(l -> l.startsWith("accelerator ")).count(), "one table");
    for (String p : Presets.names()) {
      JsonNode s = singles.get(p);
      String[] row = table.row(p);
      assertEquals(p.equals("bitfusion-e") ? 7 : 6, row.length, "only bitfusion-e is marked [compat]: " + p);
      int n = row.length;
      assertEquals(fixed4(s.get("latencyMs").asDouble()), row[n - 5], p);
      assertEquals(fixed4(s.get("latencyMs").asDouble() / s.get("batch").asInt()), row[n - 4], p);
      assertEquals(fixed4(s.get("energyNj").asDouble() * 1e-6), row[n - 3], p);
      assertEquals(times(s.get("latencyMs").asDouble() / int8.get("latencyMs").asDouble()), row[n - 2], p);
      assertEquals(times(s.get("energyNj").asDouble() / int8.get("energyNj").asDouble()), row[n - 1], p);
    }
    assertEquals("1.00x", table.row("int8")[4]);
    assertEquals("1.00x", table.row("int8")[5]);

    JsonNode cmp = simulate("all", "--model", "resnet20", "--bits", "4/4", "--json").lastJson();
    assertEquals("int8", cmp.get("baseline").asText());
    assertTrue(cmp.get("baselineListed").asBoolean());
    assertEquals("resnet20 w4a4", cmp.get("workload").asText());
    assertEquals(16, cmp.get("batch").asInt());
    assertEquals(int8.get("latencyMs").asDouble(), cmp.get("baselineLatencyMs").asDouble());
    assertEquals(int8.get("energyNj").asDouble(), cmp.get("baselineEnergyNj").asDouble());
    List<String> names = new ArrayList<>();
    Map<String, JsonNode> byName = new HashMap<>();
    for (JsonNode a : cmp.get("accelerators")) {
      names.add(a.get("name").asText());
      byName.put(a.get("name").asText(), a);
      JsonNode s = singles.get(a.get("name").asText());
      assertEquals(s, a.get("report"), "the same report as the single run");
      assertEquals(s.get("latencyMs").asDouble() / int8.get("latencyMs").asDouble(),
          a.get("latencyRatio").asDouble(), a.toString());
      assertEquals(s.get("energyNj").asDouble() / int8.get("energyNj").asDouble(), a.get("energyRatio").asDouble());
    }
    assertEquals(Presets.names(), names, "a row per preset, in preset order");
    assertEquals(1.0, byName.get("int8").get("latencyRatio").asDouble());
    assertEquals(1.0, byName.get("int8").get("energyRatio").asDouble());

    // Relations the model implies at 4/4 bits (docs/hardware-model.md, section 3): int8 gains nothing from narrow
    // bits; activation-serial Stripes and weight-serial UNPU take 4 steps on 8x the lanes (2x int8's MACs/cycle);
    // Loom takes 4*4 steps on 64x the lanes (4x).
    JsonNode int8At8 = single("int8", "--model", "resnet20", "--bits", "8/8");
    assertEquals(int8At8.get("latencyMs").asDouble(), int8.get("latencyMs").asDouble(), "narrow bits gain nothing");
    double stripes = byName.get("stripes").get("latencyRatio").asDouble();
    double loom = byName.get("loom").get("latencyRatio").asDouble();
    assertTrue(stripes < 0.55 && stripes > 0.45, "Stripes is about 2x faster than int8 at 4/4: " + stripes);
    assertTrue(byName.get("unpu").get("latencyRatio").asDouble() < 0.55, byName.get("unpu").toString());
    assertTrue(loom < 0.3 && loom < stripes, "Loom is about 4x faster than int8 at 4/4: " + loom);
    for (String p : List.of("stripes", "unpu", "loom", "bismo", "pragmatic")) {
      assertTrue(byName.get(p).get("energyRatio").asDouble() < 1, p + " spends less energy than int8 at 4/4");
    }
  }

  @Test
  void aCommaListWithAFileIsComparedToInt8EvenWhenInt8IsNotListed() throws Exception {
    Path file = tmp.resolve("bf-e-dram30.json");
    Files.writeString(file, "{\"base\": \"bitfusion-e\", \"name\": \"bf-e-dram30\", \"bitfusionCompat\": false, "
        + "\"energy\": {\"dramNjPerBit\": 0.03}}");
    String list = "stripes, loom," + file;
    Result r = simulate(list, RESNET20_4_4);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().lines().findFirst().orElseThrow().endsWith("(the fixed 8-bit baseline, not listed: priced on "
        + "the same workload for this table)"), r.out());
    assertTrue(r.out().lines().noneMatch(l -> l.startsWith("int8 ")), "int8 is the baseline, not a row:\n" + r.out());
    JsonNode int8 = single("int8", RESNET20_4_4);
    for (String[] acc : new String[][] {{"stripes", "stripes"}, {"loom", "loom"},
        {"bf-e-dram30", file.toString()}}) {
      JsonNode s = single(acc[1], RESNET20_4_4);
      String[] row = r.row(acc[0]);
      assertEquals(times(s.get("latencyMs").asDouble() / int8.get("latencyMs").asDouble()), row[4], acc[0]);
      assertEquals(times(s.get("energyNj").asDouble() / int8.get("energyNj").asDouble()), row[5], acc[0]);
    }

    JsonNode cmp = simulate(list, "--model", "resnet20", "--bits", "4/4", "--json").lastJson();
    assertFalse(cmp.get("baselineListed").asBoolean());
    assertEquals(int8.get("latencyMs").asDouble(), cmp.get("baselineLatencyMs").asDouble());
    assertEquals(3, cmp.get("accelerators").size());
    JsonNode loom = cmp.get("accelerators").get(1);
    assertEquals("loom", loom.get("name").asText());
    assertEquals(single("loom", RESNET20_4_4).get("energyNj").asDouble() / int8.get("energyNj").asDouble(),
        loom.get("energyRatio").asDouble());
    assertEquals(List.of("name", "latencyRatio", "energyRatio", "report"), fieldNames(loom));
    assertEquals(List.of("workload", "batch", "baseline", "baselineListed", "baselineLatencyMs", "baselineEnergyNj",
        "accelerators"), fieldNames(cmp));
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void oneAcceleratorKeepsTheSingleReport() throws Exception {
    Result r = simulate("stripes", RESNET20_4_4);
    assertEquals(0, r.code(), r.err());
    assertEquals(1, r.out().lines().count(), r.out());
    assertTrue(r.out().startsWith("resnet20 w4a4 on stripes (batch 16): "), r.out());
    JsonNode report = single("stripes", RESNET20_4_4);
    assertEquals("stripes", report.get("accelerator").asText(), "--json prints the plain cost report");
    Path csv = tmp.resolve("stripes.csv");
    Result t = simulate("stripes", "--model", "resnet20", "--bits", "4/4", "--table", csv.toString(),
        "--table-max-bits", "2");
    assertEquals(0, t.code(), t.err());
    assertTrue(Files.readString(csv).lines().count() > 22 * 4, "22 layers x 2 x 2 bits");
  }

  @Test
  void perLayerPrintsOneBlockPerAcceleratorThenOneTable() {
    Result r = simulate("int8,stripes", "--model", "resnet20", "--bits", "4/4", "--per-layer");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    int int8Block = lines.indexOf("int8:");
    int stripesBlock = lines.indexOf("stripes:");
    int table = lines.indexOf(lines.stream().filter(l -> l.startsWith("accelerator ")).findFirst().orElseThrow());
    assertTrue(0 <= int8Block && int8Block < stripesBlock && stripesBlock < table, r.out());
    assertEquals(2, lines.stream().filter(l -> l.startsWith("layer ")).count(), "one per-layer header per block");
    assertEquals(2 * 22, lines.stream().filter(l -> l.matches("^(conv1|layer\\d\\S*|fc) .*")).count(),
        "ResNet-20's 22 weight layers in each block");
    assertTrue(lines.get(int8Block + 24).startsWith("resnet20 w4a4 on int8 (batch 16): "), r.out());
    assertTrue(lines.get(stripesBlock + 24).startsWith("resnet20 w4a4 on stripes (batch 16): "), r.out());
    assertEquals(2, lines.size() - table - 1, "the table has one row per listed accelerator");
  }

  @Test
  void severalAcceleratorsRefuseTheLookupTable() {
    Path csv = tmp.resolve("t.csv");
    Result r = simulate("int8,stripes", "--model", "resnet20", "--table", csv.toString());
    assertEquals(2, r.code());
    assertEquals("bsq: --table exports the lookup table of one accelerator, was given 2 [int8, stripes]; run it once "
        + "per accelerator", r.err().lines().findFirst().orElseThrow());
    assertEquals("", r.out());
    assertFalse(Files.exists(csv));
  }

  @Test
  void listErrors() {
    Result dup = simulate("int8,stripes,int8", RESNET20_4_4);
    assertEquals(2, dup.code());
    assertEquals("bsq: --accelerator must list each accelerator once, was 'int8' twice (from 'int8' and 'int8' in "
        + "'int8,stripes,int8')", dup.err().strip());
    Result allDup = simulate("all,loom", RESNET20_4_4);
    assertEquals(2, allDup.code());
    assertTrue(allDup.err().contains("was 'loom' twice (from 'all' and 'loom' in 'all,loom')"), allDup.err());
    Result unknown = simulate("int8,tpu", RESNET20_4_4);
    assertEquals(2, unknown.code());
    assertEquals("bsq: unknown accelerator 'tpu'; known: [bitfusion-e, int8, stripes, unpu, loom, bismo, pragmatic]",
        unknown.err().strip());
    Result empty = simulate("int8,", RESNET20_4_4);
    assertEquals(2, empty.code());
    assertTrue(empty.err().contains("was 'int8,' (an empty entry)"), empty.err());
    Result missing = simulate("int8,nope.json", RESNET20_4_4);
    assertEquals(2, missing.code());
    assertEquals("bsq: --accelerator file 'nope.json' does not exist", missing.err().strip());
    for (Result r : List.of(dup, allDup, unknown, empty, missing)) {
      assertEquals("", r.out(), "nothing is priced");
    }
  }

  @Test
  void badBitsAreRejectedBeforeAnyPricing() {
    Map<List<String>, String> cases = new java.util.LinkedHashMap<>();
    cases.put(List.of("--bits", "4/0"), "--bits activation bits must be in [1, 32], was 0 in '4/0'");
    cases.put(List.of("--bits", "0/4"), "--bits weight bits must be in [1, 32], was 0 in '0/4' (0-bit weights mean "
        + "a pruned layer: price a scheme with pruned layers through --run or --workload)");
    cases.put(List.of("--bits", "33/8"), "--bits weight bits must be in [1, 32], was 33 in '33/8'");
    cases.put(List.of("--bits", "4/-1"), "--bits activation bits must be in [1, 32], was -1 in '4/-1'");
    cases.put(List.of("--bits", "4"), "--bits must be W/A (e.g. 4/8), was '4'");
    cases.put(List.of("--input-bits", "0"), "--input-bits must be in [1, 32], was 0");
    cases.put(List.of("--table-max-bits", "0"), "--table-max-bits must be in [1, 32], was 0");
    cases.put(List.of("--table-max-bits", "33"), "--table-max-bits must be in [1, 32], was 33");
    for (String accelerator : List.of("stripes", "all")) {
      for (Map.Entry<List<String>, String> c : cases.entrySet()) {
        List<String> args = new ArrayList<>(List.of("--model", "resnet20"));
        args.addAll(c.getKey());
        Result r = simulate(accelerator, args.toArray(String[]::new));
        assertEquals(2, r.code(), c.getKey() + " on " + accelerator);
        assertEquals("bsq: " + c.getValue(), r.err().strip(), c.getKey() + " on " + accelerator);
        assertEquals("", r.out(), "nothing is priced");
      }
    }
  }

  @Test
  void bitsWiderThanBitFusionCompatibilityModeAreRejectedBeforePricing() throws Exception {
    Result wide = simulate("bitfusion-e", "--model", "resnet20", "--bits", "16/8");
    assertEquals(2, wide.code());
    assertEquals("bsq: bits on bitfusion-e (BitFusion compatibility mode) must be <= 8, was w16/a8 in layer 'conv1' "
        + "(from --bits 16/8, --input-bits 8); use --compat false for wider operands", wide.err().strip());
    Result inAll = simulate("all", "--model", "resnet20", "--bits", "16/16");
    assertEquals(2, inAll.code());
    assertEquals("", inAll.out());
    assertTrue(inAll.err().startsWith("bsq: bits on bitfusion-e (BitFusion compatibility mode) must be <= 8"),
        inAll.err());
    Result off = simulate("all", "--model", "resnet20", "--bits", "16/16", "--compat", "false", "--json");
    assertEquals(0, off.code(), off.err());
    assertFalse(off.lastJson().get("accelerators").get(0).get("report").get("bitfusionCompat").asBoolean());

    Path csv = tmp.resolve("bf.csv");
    Result table = simulate("bitfusion-e", "--model", "resnet20", "--table", csv.toString(), "--table-max-bits", "9");
    assertEquals(2, table.code());
    assertEquals("bsq: --table-max-bits on bitfusion-e (BitFusion compatibility mode) must be <= 8, was 9; use "
        + "--compat false for wider operands", table.err().strip());
    assertEquals("", table.out(), "checked before the report is priced and printed");
    assertFalse(Files.exists(csv));
  }

  @Test
  void workloadFilesWithZeroBitActivationsNameTheLayer() throws Exception {
    String json = HwJson.toJson(Workloads.resnet18ImageNet(1, 4, 4));
    Path bad = tmp.resolve("bad.json");
    Files.writeString(bad, json.replaceFirst("\"inputBits\":4", "\"inputBits\":0"));
    Result r = simulate("int8,stripes", "--workload", bad.toString());
    assertEquals(2, r.code());
    assertEquals("bsq: workload is invalid: layer 'layer1.0.conv1': inputBits must be in [1, 32] (0-bit activations "
        + "cannot be priced; weightBits 0 marks a pruned layer), was 0", r.err().strip());

    Path pruned = tmp.resolve("pruned.json");
    Files.writeString(pruned, json.replaceFirst("\"weightBits\":4", "\"weightBits\":0"));
    JsonNode cmp = simulate("int8,stripes", "--workload", pruned.toString(), "--json").lastJson();
    for (JsonNode a : cmp.get("accelerators")) {
      assertEquals(0, a.get("report").get("layers").get(0).get("totalCycles").asLong(), "the pruned stem is free");
    }
  }
}
