package org.bsq.hwsim;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An accelerator: array geometry, PE model, buffers, DRAM interface and energy constants. Immutable; presets live in
 * {@link Presets}, user-defined ones come from JSON files ({@link HwJson#readAccelerator}).
 *
 * <p>The array has {@code rows} (N, the reduction/input-channel dimension) x {@code cols} (M, output channels) PEs,
 * each with {@code windowLanes} (V) lanes over output pixels/samples (1 for BitFusion; 8 for the serial presets so
 * that they match BitFusion's 512 MACs per cycle at 8 bits).
 *
 * @param name preset or config name
 * @param description one line
 * @param pe PE model
 * @param rows N
 * @param cols M
 * @param windowLanes V
 * @param maxBits fusion: pmax; fixed: PE width; serial models: widest bit-parallel operand
 * @param minBits fusion: pmin (ignored by the other models)
 * @param gemmMapping map every layer as a GEMM (reduction over kernel x channels, as BISMO does); otherwise only the
 *     first layer is (BitFusion's im2col layer)
 * @param frequencyHz clock
 * @param wbufBytes weight buffer bytes (half usable: double buffering)
 * @param ibufBytes input buffer bytes
 * @param obufBytes output buffer bytes
 * @param dramBitsPerCycle DRAM interface width per clock
 * @param accBits accumulator / partial-sum bits
 * @param storageGranularity operands are stored in multiples of this many bits (1 = packed; 8 for an INT8 design)
 * @param laneGroup lanes that advance in lock step (serial-w-essential)
 * @param energy energy constants
 * @param bitfusionCompat reproduce BitFusion's accidental behaviour exactly (see docs/hardware-model.md)
 * @param objective what the tiling search minimizes first (latency, as BitFusion, unless configured)
 * @param sources where each constant comes from, by constant name
 */
public record Accelerator(String name, String description, PeModel pe, int rows, int cols, int windowLanes,
                          int maxBits, int minBits, boolean gemmMapping, long frequencyHz, long wbufBytes,
                          long ibufBytes, long obufBytes, int dramBitsPerCycle, int accBits,
                          int storageGranularity, int laneGroup, EnergyTable energy, boolean bitfusionCompat,
                          SearchObjective objective, Map<String, String> sources) {
  public Accelerator {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("accelerator name must be non-blank, was '" + name + "'");
    }
    if (pe == null || energy == null) {
      throw new IllegalArgumentException("accelerator " + name + ": pe and energy must be given");
    }
    atLeast(name, "rows", rows, 1);
    atLeast(name, "cols", cols, 1);
    atLeast(name, "windowLanes", windowLanes, 1);
    atLeast(name, "maxBits", maxBits, 1);
    atLeast(name, "minBits", minBits, 1);
    atLeast(name, "frequencyHz", frequencyHz, 1);
    atLeast(name, "wbufBytes", wbufBytes, 1);
    atLeast(name, "ibufBytes", ibufBytes, 1);
    atLeast(name, "obufBytes", obufBytes, 1);
    atLeast(name, "dramBitsPerCycle", dramBitsPerCycle, 1);
    atLeast(name, "accBits", accBits, 1);
    atLeast(name, "storageGranularity", storageGranularity, 1);
    atLeast(name, "laneGroup", laneGroup, 1);
    if (pe == PeModel.FUSION && minBits > maxBits) {
      throw new IllegalArgumentException("accelerator " + name + ": minBits must be <= maxBits, was " + minBits
          + " > " + maxBits);
    }
    if (bitfusionCompat && (pe != PeModel.FUSION || windowLanes != 1 || storageGranularity != 1)) {
      throw new IllegalArgumentException("accelerator " + name + ": bitfusionCompat needs pe fusion, windowLanes 1 "
          + "and storageGranularity 1, was " + pe + ", " + windowLanes + ", " + storageGranularity);
    }
    objective = objective == null ? SearchObjective.LATENCY : objective;
    if (bitfusionCompat && objective != SearchObjective.LATENCY) {
      throw new IllegalArgumentException("accelerator " + name + ": bitfusionCompat needs objective latency, was "
          + objective);
    }
    description = description == null ? "" : description;
    sources = sources == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sources));
  }

  private static void atLeast(String name, String what, long v, long min) {
    if (v < min) {
      throw new IllegalArgumentException("accelerator " + name + ": " + what + " must be >= " + min + ", was " + v);
    }
  }

  /** Peak MACs per cycle at the given bits (fractional for the essential-bit model's expectation). */
  public double peakMacsPerCycle(int weightBits, int inputBits) {
    if (weightBits == 0 || inputBits == 0) {
      return 0;
    }
    return (double) rows * cols * windowLanes * packing(inputBits, weightBits) / steps(inputBits, weightBits);
  }

  /**
   * The widest weight or activation this accelerator can price: {@code maxBits} in BitFusion compatibility mode
   * (BitFusion divides by zero above), otherwise {@link WorkloadLayer#MAX_BITS} (wider operands take several passes).
   */
  @JsonIgnore
  public int maxOperandBits() {
    return bitfusionCompat ? maxBits : WorkloadLayer.MAX_BITS;
  }

  /** MACs per PE per step ({@code pf}). */
  int packing(int a, int w) {
    if (pe != PeModel.FUSION) {
      return 1;
    }
    if (bitfusionCompat) {
      if (a > maxOperandBits() || w > maxOperandBits()) {
        throw new IllegalArgumentException("accelerator " + name + " (BitFusion compatibility mode) supports bits <= "
            + maxBits + " (BitFusion divides by zero above), was a" + a + "/w" + w + "; use bitfusionCompat false");
      }
      return (maxBits / Math.max(a, minBits)) * (maxBits / Math.max(w, minBits));
    }
    return fusionSlots(a) * fusionSlots(w);
  }

  private int fusionSlots(int bits) {
    int mode = minBits;
    while (mode < bits && mode < maxBits) {
      mode <<= 1;
    }
    return bits > maxBits ? 1 : Math.max(1, maxBits / mode);
  }

  /** Serial steps per MAC slot (integer models). */
  long steps(int a, int w) {
    return switch (pe) {
      case FUSION -> bitfusionCompat ? 1 : (long) ceil(a, maxBits) * ceil(w, maxBits);
      case FIXED -> (long) ceil(a, maxBits) * ceil(w, maxBits);
      case SERIAL_A -> (long) a * ceil(w, maxBits);
      case SERIAL_W, SERIAL_W_ESSENTIAL -> (long) w * ceil(a, maxBits);
      case SERIAL_WA -> (long) a * w;
    };
  }

  /** Bits an operand of {@code bits} occupies in buffers and DRAM. */
  int storageBits(int bits) {
    return ceil(bits, storageGranularity) * storageGranularity;
  }

  /** Array energy per compute cycle in nJ at these bits. */
  double coreNjPerCycle(int a, int w) {
    return switch (pe) {
      case FUSION, FIXED, SERIAL_WA -> energy.coreNjPerCycle();
      case SERIAL_A -> lanes() * energy.serialLaneOverhead() * energy.fixedPe(Math.min(w, maxBits))
          / roundedWidth(Math.min(w, maxBits)) * 1e-3;
      case SERIAL_W, SERIAL_W_ESSENTIAL -> lanes() * energy.serialLaneOverhead()
          * energy.fixedPe(Math.min(a, maxBits)) / roundedWidth(Math.min(a, maxBits)) * 1e-3;
    };
  }

  private long lanes() {
    return (long) rows * cols * windowLanes;
  }

  private static int roundedWidth(int bits) {
    return bits <= 2 ? 2 : bits <= 4 ? 4 : bits <= 8 ? 8 : 16;
  }

  static int ceil(int a, int b) {
    return (a + b - 1) / b;
  }

  /** Latency of {@code cycles} in milliseconds. */
  public double millis(long cycles) {
    return cycles * 1e3 / frequencyHz;
  }

  /** This accelerator with the compatibility switch set. */
  public Accelerator withCompat(boolean compat) {
    return new Accelerator(name, description, pe, rows, cols, windowLanes, maxBits, minBits, gemmMapping, frequencyHz,
        wbufBytes, ibufBytes, obufBytes, dramBitsPerCycle, accBits, storageGranularity, laneGroup, energy, compat,
        compat ? SearchObjective.LATENCY : objective, sources);
  }

  /** This accelerator under another name. */
  public Accelerator withName(String newName) {
    return new Accelerator(newName, description, pe, rows, cols, windowLanes, maxBits, minBits, gemmMapping,
        frequencyHz, wbufBytes, ibufBytes, obufBytes, dramBitsPerCycle, accBits, storageGranularity, laneGroup,
        energy, bitfusionCompat, objective, sources);
  }

  /** This accelerator with another search objective (compatibility mode needs latency). */
  public Accelerator withObjective(SearchObjective newObjective) {
    return new Accelerator(name, description, pe, rows, cols, windowLanes, maxBits, minBits, gemmMapping,
        frequencyHz, wbufBytes, ibufBytes, obufBytes, dramBitsPerCycle, accBits, storageGranularity, laneGroup,
        energy, bitfusionCompat, newObjective, sources);
  }

  /**
   * True when the metric the search minimizes first ({@link #objective()}) never decreases when a bit-width grows:
   * every design outside BitFusion compatibility mode (see docs/hardware-model.md, "Monotonicity").
   */
  @JsonIgnore
  public boolean monotone() {
    return !bitfusionCompat;
  }
}
