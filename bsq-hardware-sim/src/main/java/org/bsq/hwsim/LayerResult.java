package org.bsq.hwsim;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Cost of one layer on one accelerator. Counters are in bits, cycles in clock cycles, energies in nJ (BitFusion's
 * units); {@code latencyMs} is for the whole batch.
 *
 * @param name layer name
 * @param weightBits weight bits used
 * @param inputBits input-activation bits used
 * @param macs multiply-accumulates (whole batch)
 * @param computeCycles cycles the array computes
 * @param stallCycles cycles waiting for DRAM (including the first fill and the last drain)
 * @param totalCycles compute + stall
 * @param latencyMs totalCycles / frequency, in ms
 * @param wbufReadBits weight-buffer reads
 * @param wbufWriteBits weight-buffer writes (DRAM fills)
 * @param ibufReadBits input-buffer reads
 * @param ibufWriteBits input-buffer writes (DRAM fills)
 * @param obufReadBits output-buffer reads (accumulation reads plus drains to DRAM)
 * @param obufWriteBits output-buffer writes (accumulation writes plus partial-sum fills)
 * @param dramReadBits DRAM reads
 * @param dramWriteBits DRAM writes
 * @param coreNj PE-array energy
 * @param wbufNj weight-buffer energy
 * @param ibufNj input-buffer energy
 * @param obufNj output-buffer energy
 * @param dramNj DRAM energy
 * @param energyNj total energy
 * @param memoryBound whether streaming the DRAM traffic takes longer than computing (roofline view)
 * @param operationalIntensity MACs per DRAM bit
 * @param utilization MACs / (total cycles x peak MACs per cycle at these bits)
 * @param tiling the chosen tiling (null for a 0-bit layer)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LayerResult(String name, int weightBits, int inputBits, long macs, long computeCycles, long stallCycles,
                          long totalCycles, double latencyMs, long wbufReadBits, long wbufWriteBits,
                          long ibufReadBits, long ibufWriteBits, long obufReadBits, long obufWriteBits,
                          long dramReadBits, long dramWriteBits, double coreNj, double wbufNj, double ibufNj,
                          double obufNj, double dramNj, double energyNj, boolean memoryBound,
                          double operationalIntensity, double utilization, Tiling tiling) {
  /** SRAM energy (all three buffers). */
  public double sramNj() {
    return wbufNj + ibufNj + obufNj;
  }

  /** "memory" or "compute". */
  public String bound() {
    return memoryBound ? "memory" : "compute";
  }
}
