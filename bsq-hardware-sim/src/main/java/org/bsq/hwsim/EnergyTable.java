package org.bsq.hwsim;

import java.util.Map;
import java.util.TreeMap;

/**
 * Energy constants of an accelerator, in nJ (BitFusion's unit) per event. Dynamic energy only: no leakage, and no
 * core energy during stall cycles (as in BitFusion).
 *
 * @param coreNjPerCycle energy of the whole PE array per compute cycle (fusion, fixed and serial-wa models); for the
 *     serial-a/-w models it is derived from {@code fixedPePj} instead and this value is ignored (may be 0)
 * @param serialLaneOverhead factor on {@code e_fixed(x)/x} per lane step of a serial-a/-w lane (an assumption: 1.25)
 * @param fixedPePj pJ per cycle of a fixed x-bit PE, x in {2, 4, 8, 16} (BitFusion's synthesis table)
 * @param wbufReadNjPerBit weight-buffer read energy per bit
 * @param wbufWriteNjPerBit weight-buffer write energy per bit
 * @param ibufReadNjPerBit input-buffer read energy per bit
 * @param ibufWriteNjPerBit input-buffer write energy per bit
 * @param obufReadNjPerBit output-buffer read energy per bit
 * @param obufWriteNjPerBit output-buffer write energy per bit
 * @param dramNjPerBit DRAM energy per bit read or written
 */
public record EnergyTable(double coreNjPerCycle, double serialLaneOverhead, Map<Integer, Double> fixedPePj,
                          double wbufReadNjPerBit, double wbufWriteNjPerBit, double ibufReadNjPerBit,
                          double ibufWriteNjPerBit, double obufReadNjPerBit, double obufWriteNjPerBit,
                          double dramNjPerBit) {
  public EnergyTable {
    fixedPePj = fixedPePj == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(fixedPePj));
    for (double v : new double[] {coreNjPerCycle, serialLaneOverhead, wbufReadNjPerBit, wbufWriteNjPerBit,
        ibufReadNjPerBit, ibufWriteNjPerBit, obufReadNjPerBit, obufWriteNjPerBit, dramNjPerBit}) {
      if (!(v >= 0) || Double.isInfinite(v)) {
        throw new IllegalArgumentException("energy constants must be finite and >= 0, was " + v);
      }
    }
  }

  /** pJ per cycle of a fixed PE of {@code bits} rounded up to 2, 4, 8 or 16 bits. */
  public double fixedPe(int bits) {
    int x = bits <= 2 ? 2 : bits <= 4 ? 4 : bits <= 8 ? 8 : 16;
    Double v = fixedPePj.get(x);
    if (v == null) {
      throw new IllegalArgumentException("fixedPePj must have an entry for " + x + "-bit PEs, was " + fixedPePj);
    }
    return v;
  }

  /** This table with another DRAM energy per bit (the main sensitivity knob). */
  public EnergyTable withDramNjPerBit(double nj) {
    return new EnergyTable(coreNjPerCycle, serialLaneOverhead, fixedPePj, wbufReadNjPerBit, wbufWriteNjPerBit,
        ibufReadNjPerBit, ibufWriteNjPerBit, obufReadNjPerBit, obufWriteNjPerBit, nj);
  }
}
