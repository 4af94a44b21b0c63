/**
 * Hardware-cost simulator for mixed-precision networks: a bit-exact Java port of the BitFusion analytical model
 * (fusion-unit array mapping, loop-order and tile-size search under double-buffered SRAM limits, DRAM/SRAM traffic,
 * stalls, energy) with a pluggable processing-element model for bit-serial designs (Stripes, UNPU, Loom, BISMO,
 * Pragmatic), HAQ-style per-layer lookup tables and a {@link org.bsq.hwsim.CostModel} binding.
 *
 * <p>Entry points: {@link org.bsq.hwsim.Presets} (named accelerators), {@link org.bsq.hwsim.Simulator} (prices a
 * {@link org.bsq.hwsim.Workload}), {@link org.bsq.hwsim.LookupTable} (fast scheme pricing), {@link
 * org.bsq.hwsim.HwJson} (JSON files). See docs/hardware-model.md for every formula and constant with its source.
 */
package org.bsq.hwsim;
