package org.bsq.hwsim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named accelerators. Every constant carries its source ({@link Accelerator#sources()}); the derivations are in
 * docs/hardware-model.md. All presets share BitFusion's 45 nm technology data so that they can be compared: the
 * bit-serial presets are throughput-matched to BitFusion's 512 MACs per cycle at 8/8 bits (hwsim.md §3.2, §3.5).
 */
public final class Presets {
  /** BitFusion repository, commit 04ec1c8 (https://github.com/hsharma35/bitfusion). */
  public static final String BF = "BitFusion repo 04ec1c8: ";
  /** The notes that derive the recommended model. */
  public static final String NOTES = "shared/docs/reference/hwsim.md ";

  // systolic_array_synth.csv (45 nm, 500 MHz, 4x4 arrays), Dynamic Power (nW) of the whole 4x4 array.
  private static final double SYNTH_FREQ_HZ = 500_000_000.0;
  private static final double SYNTH_8_2_NW = 3673500;    // line 94: fusion unit pmax 8 / pmin 2
  private static final double SYNTH_2_2_NW = 325616;     // line 90
  private static final double SYNTH_4_4_NW = 659402;     // line 93
  private static final double SYNTH_8_8_NW = 1627500;    // line 95
  private static final double SYNTH_16_16_NW = 4821500;  // line 97

  // bitfusion/sram/cacti_sweep.csv (CACTI 7, 45 nm, itrs-hp), energy per 32-bit access in nJ.
  private static final double CACTI_128B_READ = 0.0006837010000000001;  // line 5, 128-byte bank
  private static final double CACTI_128B_WRITE = 0.000925317;
  private static final double CACTI_2KB_READ = 0.00190318;               // line 6, 2 KB bank
  private static final double CACTI_2KB_WRITE = 0.00363853;
  private static final double CACTI_512B_RW_READ = 0.00106097;          // line 7, 512-byte read-write bank
  private static final double CACTI_512B_RW_WRITE = 0.00233869;
  private static final int SRAM_WORD_BITS = 32;                          // pmax^2/pmin, simulator.py:229-300
  private static final double DRAM_NJ_PER_BIT = 15.e-3;                  // stats.py:58 dram_cost

  private static final Map<String, Accelerator> PRESETS = build();

  private Presets() {}

  /** Preset names in presentation order. */
  public static List<String> names() {
    return List.copyOf(PRESETS.keySet());
  }

  /** All presets in presentation order. */
  public static List<Accelerator> all() {
    return List.copyOf(PRESETS.values());
  }

  /** The preset called {@code name}; unknown names fail with the list of known ones. */
  public static Accelerator get(String name) {
    Accelerator a = PRESETS.get(name);
    if (a == null) {
      throw new IllegalArgumentException("unknown accelerator '" + name + "'; known: " + names());
    }
    return a;
  }

  /** pJ per cycle of one PE of a 4x4 synthesized array. */
  private static double pePj(double arrayNw) {
    return arrayNw / 16.0 / SYNTH_FREQ_HZ * 1e3;
  }

  private static Map<Integer, Double> fixedPe() {
    Map<Integer, Double> m = new LinkedHashMap<>();
    m.put(2, pePj(SYNTH_2_2_NW));
    m.put(4, pePj(SYNTH_4_4_NW));
    m.put(8, pePj(SYNTH_8_8_NW));
    m.put(16, pePj(SYNTH_16_16_NW));
    return m;
  }

  /** BF-E's SRAM and DRAM constants with the given array energy per cycle. */
  private static EnergyTable bfeEnergy(double coreNjPerCycle, double laneOverhead) {
    return new EnergyTable(coreNjPerCycle, laneOverhead, fixedPe(), CACTI_128B_READ / SRAM_WORD_BITS,
        CACTI_128B_WRITE / SRAM_WORD_BITS, CACTI_2KB_READ / SRAM_WORD_BITS, CACTI_2KB_WRITE / SRAM_WORD_BITS,
        CACTI_512B_RW_READ / SRAM_WORD_BITS, CACTI_512B_RW_WRITE / SRAM_WORD_BITS, DRAM_NJ_PER_BIT);
  }

  private static Map<String, String> commonSources() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("frequencyHz", BF + "bf_e_conf.ini frequency = 500 MHz");
    s.put("wbufBytes/ibufBytes/obufBytes", BF + "bf_e_conf.ini Wgt/Act/Out_SRAM = 65536/32768/16384 bytes; "
        + "half usable (double buffering, optimizer.py:81-102)");
    s.put("dramBitsPerCycle", BF + "bf_e_conf.ini if_width = 192 bits/cycle (12 GB/s at 500 MHz)");
    s.put("sram energies", BF + "bitfusion/sram/cacti_sweep.csv (CACTI 7, 45 nm itrs-hp): WBUF 512 banks x 128 B "
        + "(line 5), IBUF 16 x 2 KB (line 6), OBUF 32 x 512 B read-write (line 7); per access / 32-bit word");
    s.put("dramNjPerBit", BF + "src/simulator/stats.py:58 dram_cost = 15e-3 nJ/bit (the comment at line 70 says 6 "
        + "pJ/bit; the code uses 15); Horowitz ISSCC 2014 gives 20-40 pJ/bit");
    s.put("accBits", "32-bit accumulators (BitFusion oprec = 32, optimizer.py)");
    s.put("fixedPePj", BF + "results/systolic_array_synth.csv lines 90/93/95/97 (4x4 arrays at 500 MHz, divided "
        + "by 16): 0.0407/0.0824/0.2034/0.6027 pJ per PE-cycle at 2/4/8/16 bits");
    return s;
  }

  private static Map<String, Accelerator> build() {
    Map<String, Accelerator> m = new LinkedHashMap<>();

    Map<String, String> s = commonSources();
    s.put("rows x cols", BF + "bf_e_conf.ini a x c = 16 x 32 fusion units (simulator.py:34-36, 80-86)");
    s.put("maxBits/minBits", BF + "bf_e_conf.ini high_prec/low_prec = 8/2");
    s.put("coreNjPerCycle", BF + "results/systolic_array_synth.csv:94 (4x4 fusion array 8/2: 3673500 nW at 500 MHz) "
        + "x (16*32)/16 / 5e8 = 0.235104 nJ per cycle (simulator.py:311-321)");
    m.put("bitfusion-e", new Accelerator("bitfusion-e",
        "BitFusion, Eyeriss-comparison config: 16x32 fusion units, 8/2 bits, 500 MHz, 64/32/16 KB, 192 b/cycle "
            + "(Sharma et al., ISCA 2018)",
        PeModel.FUSION, 16, 32, 1, 8, 2, false, 500_000_000L, 65536, 32768, 16384, 192, 32, 1, 1,
        bfeEnergy(SYNTH_8_2_NW * (16 * 32) / 16.0 / SYNTH_FREQ_HZ, 1.25), true, SearchObjective.LATENCY, s));

    s = commonSources();
    s.put("rows x cols", NOTES + "§3.5 INT8-fixed: 16 x 32 fixed 8-bit PEs, BitFusion's buffers and DRAM");
    s.put("coreNjPerCycle", BF + "results/systolic_array_synth.csv:95 (4x4 fixed 8/8 array: 1627500 nW at 500 MHz) "
        + "x 512/16 / 5e8 = 0.10416 nJ per cycle (0.2034 pJ per PE-cycle; Horowitz: 0.2 pJ per 8-bit multiply)");
    s.put("storageGranularity", NOTES + "§3.5 padStorageTo8: an INT8 design stores every operand in 8 bits");
    m.put("int8", new Accelerator("int8",
        "Fixed INT8 baseline: 16x32 8-bit PEs, 500 MHz, BitFusion's buffers and DRAM; narrower bits gain nothing",
        PeModel.FIXED, 16, 32, 1, 8, 8, false, 500_000_000L, 65536, 32768, 16384, 192, 32, 8, 1,
        bfeEnergy(SYNTH_8_8_NW * (16 * 32) / 16.0 / SYNTH_FREQ_HZ, 1.25), false, SearchObjective.LATENCY, s));

    s = commonSources();
    s.put("rows x cols x windowLanes", NOTES + "§3.2/§3.5 BS-A: 16 x 32 x 8 lanes, 512 MACs/cycle at a = 8 "
        + "(Stripes itself: 16 tiles x 16 filters x 16 inputs x 16 windows vs DaDianNao, Judd et al. MICRO 2016)");
    s.put("steps", "Judd et al., Stripes, MICRO 2016: conv time proportional to the activation precision Pa");
    s.put("maxBits", "Stripes: weights bit-parallel, 16 bits");
    s.put("serialLaneOverhead", NOTES + "§3.4 assumption: lane step = 1.25 x e_fixed(x)/x, x = weight bits rounded "
        + "up to 2/4/8/16");
    m.put("stripes", new Accelerator("stripes",
        "Activation-serial (Stripes-like): 16x32x8 lanes, a steps per MAC, weights up to 16 bits in parallel",
        PeModel.SERIAL_A, 16, 32, 8, 16, 1, false, 500_000_000L, 65536, 32768, 16384, 192, 32, 1, 1,
        bfeEnergy(0, 1.25), false, SearchObjective.LATENCY, s));

    s = commonSources();
    s.put("rows x cols x windowLanes", NOTES + "§3.5 BS-W: 16 x 32 x 8 lanes, 512 MACs/cycle at w = 8");
    s.put("steps", "Lee et al., UNPU, JSSC 2019 (doi:10.1109/JSSC.2018.2865489): weight-serial LUT PEs, 1-16-bit "
        + "weights, throughput proportional to 1/Pw (345.6 GOPS at 16 bits to 7372 GOPS at 1 bit)");
    s.put("maxBits", "UNPU: activations bit-parallel, 16 bits");
    s.put("serialLaneOverhead", NOTES + "§3.4 assumption: lane step = 1.25 x e_fixed(x)/x, x = activation bits "
        + "rounded up to 2/4/8/16");
    s.put("frequencyHz", "500 MHz to share BitFusion's technology (UNPU silicon: 65 nm, 200 MHz)");
    m.put("unpu", new Accelerator("unpu",
        "Weight-serial (UNPU-like): 16x32x8 lanes, w steps per MAC, activations up to 16 bits in parallel",
        PeModel.SERIAL_W, 16, 32, 8, 16, 1, false, 500_000_000L, 65536, 32768, 16384, 192, 32, 1, 1,
        bfeEnergy(0, 1.25), false, SearchObjective.LATENCY, s));

    double binaryStepPj = pePj(SYNTH_2_2_NW) / 4;
    s = commonSources();
    s.put("rows x cols x windowLanes", "assumption: 16 x 32 x 64 one-bit lanes (32768), 512 MACs/cycle at 8/8 like "
        + "BitFusion");
    s.put("steps", "Sharify et al., Loom, DAC 2018: conv time proportional to Pa x Pw");
    s.put("coreNjPerCycle", NOTES + "§3.4: binary step = e_fixed(2)/4 = 0.0102 pJ (synth csv:90 / 4) x 32768 lanes");
    m.put("loom", new Accelerator("loom",
        "Serial in both operands (Loom-like): 32768 one-bit lanes, a*w steps per MAC, 512 MACs/cycle at 8/8",
        PeModel.SERIAL_WA, 16, 32, 64, 16, 1, false, 500_000_000L, 65536, 32768, 16384, 192, 32, 1, 1,
        bfeEnergy(16 * 32 * 64 * binaryStepPj * 1e-3, 1.25), false, SearchObjective.LATENCY, s));

    s = commonSources();
    s.put("rows x cols x windowLanes", "Umuroglu et al., BISMO, FPL 2018 (arXiv:1806.08862) and github.com/EECS-NTNU/"
        + "bismo README: PYNQ-Z1 default Dm x Dk x Dn = 8 x 256 x 8 (cols = Dm, rows = Dk, windowLanes = Dn)");
    s.put("gemmMapping", "BISMO BitSerialMatMulExecutor.hpp: conv as GEMM, M = OC, K = IC x K^2, N = B x OH x OW");
    s.put("steps", "BISMO StageModels.hpp: one bit-plane pair per step, l x r steps");
    s.put("frequencyHz", "BISMO README: 200 MHz on PYNQ-Z1");
    s.put("coreNjPerCycle", NOTES + "§3.4: binary step = e_fixed(2)/4 = 0.0102 pJ x 16384 lanes (45 nm ASIC "
        + "equivalent, not the FPGA's energy)");
    s.put("dramBitsPerCycle", "assumption: 128 bits/cycle (3.2 GB/s at 200 MHz, PYNQ-Z1 DDR3 class)");
    s.put("wbufBytes/ibufBytes/obufBytes", "assumption: BitFusion's 64/32/16 KB (BISMO's BRAM sizes are "
        + "configurable)");
    m.put("bismo", new Accelerator("bismo",
        "Bit-serial GEMM (BISMO, PYNQ-Z1 default 8x256x8 at 200 MHz): a*w binary steps, 256 MACs/cycle at 8/8",
        PeModel.SERIAL_WA, 256, 8, 8, 16, 1, true, 200_000_000L, 65536, 32768, 16384, 128, 32, 1, 1,
        bfeEnergy(256 * 8 * 8 * binaryStepPj * 1e-3, 1.25), false, SearchObjective.LATENCY, s));

    s = commonSources();
    s.put("rows x cols x windowLanes", NOTES + "§3.5 BS-W geometry: 16 x 32 x 8 lanes");
    s.put("steps", "Albericio et al., Bit-Pragmatic, MICRO 2017: time proportional to the number of 1 bits; lanes "
        + "synchronized in groups take the maximum over the group (here on the weight side, as BSQ makes weights "
        + "bit-sparse)");
    s.put("laneGroup", "Pragmatic: 16 lanes per synchronized group");
    s.put("serialLaneOverhead", NOTES + "§3.4 assumption: 1.25 x e_fixed(x)/x per lane step");
    m.put("pragmatic", new Accelerator("pragmatic",
        "Weight-serial over non-zero bits only (Pragmatic principle): expected max popcount of 16-lane groups "
            + "from BSQ's bit-plane statistics (all w bits without them)",
        PeModel.SERIAL_W_ESSENTIAL, 16, 32, 8, 16, 1, false, 500_000_000L, 65536, 32768, 16384, 192, 32, 1, 16,
        bfeEnergy(0, 1.25), false, SearchObjective.LATENCY, s));
    return java.util.Collections.unmodifiableMap(m);
  }
}
