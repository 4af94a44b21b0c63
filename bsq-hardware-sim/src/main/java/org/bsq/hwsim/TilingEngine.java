package org.bsq.hwsim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The tiling/traffic engine: a Java port of BitFusion's {@code optimizer.py} ({@code get_stats_fast},
 * {@code _optimize_for_order}, {@code optimize_for_order}; commit 04ec1c8) generalized with a pluggable PE model.
 *
 * <p>For every layer it enumerates the power-of-two tilings (batch, output width = height, input channels; output
 * channels in multiples of the array's columns), rejects those whose tile does not fit half of a buffer (double
 * buffering), and for each of the 120 orders of the five tile loops counts DRAM traffic (a tile is reused across a
 * loop that does not index it until the accumulated footprint exceeds half the buffer), SRAM accesses, compute and
 * stall cycles. The result minimizes total cycles, then energy, and among exact ties takes the first order (in
 * lexicographic order of {@code [B, OW, OH, IC, OC]}) and the first tiling in BitFusion's enumeration order, which
 * is BitFusion's own choice. Pruning by a lower bound ({@code compute + first fill + last drain}) visits far fewer
 * candidates without changing the choice.
 */
final class TilingEngine {
  static final int B = 0;
  static final int OW = 1;
  static final int OH = 2;
  static final int IC = 3;
  static final int OC = 4;
  static final String[] LOOP_NAMES = {"B/b", "OW/ow", "OH/oh", "IC/ic", "OC/oc"};
  private static final boolean[] DEP_W = {false, false, false, true, true};
  private static final boolean[] DEP_A = {true, true, true, true, false};
  private static final boolean[] DEP_O = {true, true, true, false, true};
  static final int[][] ORDERS = permutations();

  private TilingEngine() {}

  private static int[][] permutations() {
    List<int[]> out = new ArrayList<>();
    permute(new int[5], new boolean[5], 0, out);
    return out.toArray(new int[0][]);
  }

  private static void permute(int[] cur, boolean[] used, int pos, List<int[]> out) {
    if (pos == cur.length) {
      out.add(cur.clone());
      return;
    }
    for (int i = 0; i < cur.length; i++) {
      if (!used[i]) {
        used[i] = true;
        cur[pos] = i;
        permute(cur, used, pos + 1, out);
        used[i] = false;
      }
    }
  }

  /** One feasible tiling with its order-independent quantities. */
  private static final class Candidate {
    final int index;
    final int b;
    final int ow;
    final int oh;
    final int ic;
    final int oc;
    final long[] trips = new long[5];
    long fW;
    long fA;
    long fO;
    long compute;
    long innerW;
    long innerA;
    long innerO;
    long lowerBound;
    double energyBound;
    long tileOut;
    String dataflow;

    Candidate(int index, int b, int ow, int oh, int ic, int oc) {
      this.index = index;
      this.b = b;
      this.ow = ow;
      this.oh = oh;
      this.ic = ic;
      this.oc = oc;
    }
  }

  /** Counters of one (tiling, order) evaluation. */
  private static final class Counters {
    long total;
    long stall;
    long memCycles;
    long wbufW;
    long ibufW;
    long obufR;
    long obufW;
    long dramR;
    long dramW;

    void copyFrom(Counters o) {
      total = o.total;
      stall = o.stall;
      memCycles = o.memCycles;
      wbufW = o.wbufW;
      ibufW = o.ibufW;
      obufR = o.obufR;
      obufW = o.obufW;
      dramR = o.dramR;
      dramW = o.dramW;
    }
  }

  /** Simulates one layer: the whole search, then the chosen tiling's counters and energy. */
  static LayerResult simulate(Accelerator acc, WorkloadLayer layer) {
    int a = layer.inputBits();
    int w = layer.weightBits();
    if (a == 0 || w == 0) {
      return new LayerResult(layer.name(), w, a, layer.macs(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
          false, 0, 0, null);
    }
    boolean compat = acc.bitfusionCompat();
    int groups = layer.groups();
    int ic0 = layer.inChannelsPerGroup();
    int oc0 = layer.outChannelsPerGroup();
    int k = layer.kernel();
    int s = layer.stride();
    int outH = layer.outHeight();
    int outW = layer.outWidth();
    int batch = layer.batch();
    int n = acc.rows();
    int m = acc.cols();
    int v = acc.windowLanes();
    boolean im2col = layer.firstLayer() || acc.gemmMapping();
    int pf = acc.packing(a, w);
    double essential = acc.pe() == PeModel.SERIAL_W_ESSENTIAL && layer.bitPlanes() != null
        ? layer.bitPlanes().expectedGroupSteps(w, acc.laneGroup()) * Accelerator.ceil(a, acc.maxBits()) : -1;
    long steps = acc.steps(a, w);
    int aS = acc.storageBits(a);
    int wS = acc.storageBits(w);
    int accBits = compat ? 32 : acc.accBits();
    int oS = compat ? 32 : acc.storageBits(layer.outputBits());
    long capW = acc.wbufBytes() * 4;
    long capA = acc.ibufBytes() * 4;
    long capO = acc.obufBytes() * 4;
    int bw = acc.dramBitsPerCycle();
    long npf = (long) n * pf;
    long outElems = (long) batch * outH * outW * oc0;
    double core = acc.coreNjPerCycle(a, w);
    EnergyTable e = acc.energy();

    List<Candidate> cands = new ArrayList<>();
    int nB = ceilLog2(batch) + 1;
    int nO = ceilLog2(Math.max(outH, outW)) + 1;
    int nIC = ceilLog2(ic0) + 1;
    int nOC = im2col ? ceilLog2(oc0) + 1 : ceilLog2(ceilDiv(oc0, m)) + 1;
    int index = 0;
    for (int ib = 0; ib < nB; ib++) {
      int b = Math.min(1 << ib, batch);
      for (int io = 0; io < nO; io++) {
        int ow = Math.min(1 << io, outW);
        int oh = Math.min(1 << io, outH);
        for (int iic = 0; iic < nIC; iic++) {
          int ic = Math.min(1 << iic, ic0);
          for (int ioc = 0; ioc < nOC; ioc++, index++) {
            int oc = im2col ? Math.min(1 << ioc, oc0) : (int) Math.min((long) (1 << ioc) * m, oc0);
            long kkic = (long) k * k * ic;
            long fW = compat ? ceilDiv(kkic, npf) * npf * oc * wS : kkic * oc * wS;
            long fA = im2col ? (long) ow * oh * kkic * b * aS
                : (long) (k + (ow - 1) * s) * (k + (oh - 1) * s) * ic * b * aS;
            long ocPad = ceilDiv(oc, m) * m;
            long fO = (long) ow * oh * ocPad * b * accBits;
            if (fW > capW || fA > capA || fO > capO) {
              continue;
            }
            Candidate c = new Candidate(index, b, ow, oh, ic, oc);
            c.trips[B] = ceilDiv(batch, b);
            c.trips[OW] = ceilDiv(outW, ow);
            c.trips[OH] = ceilDiv(outH, oh);
            c.trips[IC] = ceilDiv(ic0, ic);
            c.trips[OC] = ceilDiv(oc0, oc);
            c.fW = fW;
            c.fA = fA;
            c.fO = fO;
            long tiles = c.trips[B] * c.trips[OW] * c.trips[OH] * c.trips[IC] * c.trips[OC];
            long pix = (long) b * oh * ow;
            long base = im2col ? ceilDiv(pix, v) * ceilDiv(oc, m) * ceilDiv(kkic, npf)
                : ceilDiv(pix, v) * ceilDiv(oc, m) * k * k * ceilDiv(ic, npf);
            c.compute = essential >= 0 ? (long) Math.rint((double) tiles * base * essential) : tiles * base * steps;
            inner(c, tiles, im2col, k, m, npf, aS, wS, accBits, compat ? a : aS, compat ? w : wS,
                compat ? null : e);
            c.tileOut = Math.min(fO / accBits, outElems) * oS;
            long init = compat ? fW + fA + fO : fW + fA;
            long fin = compat ? fO : c.tileOut;
            c.lowerBound = c.compute + ceilDiv(init, bw) + ceilDiv(fin, bw);
            c.energyBound = (c.compute * core + c.innerW * e.wbufReadNjPerBit()
                + fW * e.wbufWriteNjPerBit() + c.innerA * e.ibufReadNjPerBit() + fA * e.ibufWriteNjPerBit()
                + c.innerO * (e.obufReadNjPerBit() + e.obufWriteNjPerBit()) + (fW + fA) * e.dramNjPerBit())
                * (1 - 1e-9);
            cands.add(c);
          }
        }
      }
    }
    if (cands.isEmpty()) {
      throw new IllegalArgumentException("layer " + layer.name() + " has no tiling that fits the buffers of "
          + acc.name() + " (a" + a + "/w" + w + ")");
    }
    boolean byEnergy = acc.objective() == SearchObjective.ENERGY;
    if (byEnergy) {
      cands.sort((x, y) -> x.energyBound != y.energyBound ? Double.compare(x.energyBound, y.energyBound)
          : Integer.compare(x.index, y.index));
    } else {
      cands.sort((x, y) -> x.lowerBound != y.lowerBound ? Long.compare(x.lowerBound, y.lowerBound)
          : Integer.compare(x.index, y.index));
    }

    Counters cur = new Counters();
    Counters best = new Counters();
    Candidate bestCand = null;
    int bestOrder = -1;
    double bestEnergy = 0;
    for (Candidate c : cands) {
      if (bestCand != null && (byEnergy ? c.energyBound > bestEnergy : c.lowerBound > best.total)) {
        break;
      }
      for (int o = 0; o < ORDERS.length; o++) {
        walk(c, ORDERS[o], capW, capA, capO, compat, accBits, oS, outElems, bw, cur);
        if (!byEnergy && bestCand != null && cur.total > best.total) {
          continue;
        }
        double energy = energy(c, cur, core, e);
        boolean better;
        if (byEnergy) {
          better = bestCand == null || energy < bestEnergy || (energy == bestEnergy && (cur.total < best.total
              || (cur.total == best.total && (o < bestOrder || (o == bestOrder && c.index < bestCand.index)))));
        } else {
          better = bestCand == null || cur.total < best.total
              || (cur.total == best.total && (energy < bestEnergy || (energy == bestEnergy
                  && (o < bestOrder || (o == bestOrder && c.index < bestCand.index)))));
        }
        if (better) {
          best.copyFrom(cur);
          bestCand = c;
          bestOrder = o;
          bestEnergy = energy;
        }
      }
    }
    return result(acc, layer, bestCand, ORDERS[bestOrder], best, core, e, groups, essential);
  }

  /** SRAM accesses of the inner loops (order independent), with BitFusion's IS/OS/WS choice. */
  private static void inner(Candidate c, long tiles, boolean im2col, int k, int m, long npf, int aS, int wS,
                            int oprec, int aProxy, int wProxy, EnergyTable energyChoice) {
    long isLoop = ceilDiv(c.oc, m) * m;
    long osLoop = im2col ? ceilDiv((long) c.ic * k * k, npf) * npf : ceilDiv(c.ic, npf) * npf * k * k;
    long wsLoop = (long) c.b * c.oh * c.ow;
    long isE = osLoop * wsLoop * (aProxy + isLoop * (wProxy + oprec));
    long osE = isLoop * wsLoop * (oprec + osLoop * (aProxy + wProxy));
    long wsE = osLoop * isLoop * (wProxy + wsLoop * (aProxy + oprec));
    long kkic = (long) k * k * c.ic;
    long pix = (long) c.oh * c.ow * c.b;
    if (energyChoice != null) {
      // Default model: the dataflow with the least inner SRAM energy (BitFusion uses a bit-count proxy).
      double eis = sram(energyChoice, tiles * (kkic * pix) * aS, tiles * (kkic * pix) * c.oc * wS,
          tiles * (kkic * pix) * c.oc * oprec);
      double eos = sram(energyChoice, tiles * (c.oc * pix) * kkic * aS, tiles * (c.oc * pix) * kkic * wS,
          tiles * (c.oc * pix) * oprec);
      double ews = sram(energyChoice, tiles * (kkic * c.oc) * pix * aS, tiles * (kkic * c.oc) * wS,
          tiles * (kkic * c.oc) * pix * oprec);
      double best = Math.min(eis, Math.min(eos, ews));
      isE = eis == best ? 0 : 1;
      osE = eis != best && eos == best ? 0 : 1;
      wsE = isE == 1 && osE == 1 ? 0 : 1;
    }
    long min = Math.min(isE, Math.min(wsE, osE));
    if (isE == min) {
      c.dataflow = "IS";
      c.innerA = tiles * (kkic * pix) * aS;
      c.innerO = tiles * (kkic * pix) * c.oc * oprec;
      c.innerW = tiles * (kkic * pix) * c.oc * wS;
    } else if (osE == min) {
      c.dataflow = "OS";
      c.innerA = tiles * (c.oc * pix) * kkic * aS;
      c.innerO = tiles * (c.oc * pix) * oprec;
      c.innerW = tiles * (c.oc * pix) * kkic * wS;
    } else {
      c.dataflow = "WS";
      c.innerA = tiles * (kkic * c.oc) * pix * aS;
      c.innerO = tiles * (kkic * c.oc) * pix * oprec;
      c.innerW = tiles * (kkic * c.oc) * wS;
    }
  }

  private static double sram(EnergyTable e, long act, long wgt, long out) {
    return act * e.ibufReadNjPerBit() + wgt * e.wbufReadNjPerBit() + out * (e.obufReadNjPerBit()
        + e.obufWriteNjPerBit());
  }

  /** DRAM traffic and cycles of one loop order (BitFusion's promotion walk, innermost loop first). */
  private static void walk(Candidate c, int[] order, long capW, long capA, long capO, boolean compat, int accBits,
                           int oS, long outElems, int bw, Counters r) {
    long wW = c.fW;
    long wA = c.fA;
    long wO = c.fO;
    long mW = wW;
    long mA = wA;
    long mO = wO;
    boolean pW = true;
    boolean pA = true;
    boolean pO = true;
    boolean icSpill = false;
    for (int j = order.length - 1; j >= 0; j--) {
      int loop = order[j];
      long trips = c.trips[loop];
      if (pW) {
        if (DEP_W[loop]) {
          wW *= trips;
          if (wW > capW) {
            pW = false;
          } else {
            mW = wW;
          }
        }
      } else {
        wW *= trips;
      }
      if (pA) {
        if (DEP_A[loop]) {
          wA *= trips;
          if (wA > capA) {
            pA = false;
          } else {
            mA = wA;
          }
        }
      } else {
        wA *= trips;
      }
      if (pO) {
        if (DEP_O[loop]) {
          wO *= trips;
          if (wO > capO) {
            pO = false;
          } else {
            mO = wO;
          }
        }
      } else {
        wO *= trips;
        if (loop == IC && trips > 1) {
          icSpill = true;
        }
      }
    }
    long init;
    long fin;
    if (compat) {
      // BitFusion: every output tile is filled from DRAM before accumulation and drained at 32 bits; the final drain
      // size is max_read_size (optimizer.py:149 copies writes['out'], equal to the reads here).
      r.dramR = wW + wA + wO;
      r.dramW = wO;
      r.obufW = wO + c.innerO;
      r.obufR = wO + c.innerO;
      init = mW + mA + mO;
      fin = mO;
    } else {
      long passes = icSpill ? c.trips[IC] : 1;
      long fills = outElems * (passes - 1) * accBits;
      long drains = outElems * ((passes - 1) * accBits + oS);
      r.dramR = wW + wA + fills;
      r.dramW = drains;
      r.obufW = fills + c.innerO;
      r.obufR = drains + c.innerO;
      // The first fill is the first tile (double buffering overlaps the rest), the last drain the last output tile:
      // BitFusion charges the largest promoted block instead, which can shrink when bits grow.
      init = c.fW + c.fA;
      fin = c.tileOut;
    }
    r.wbufW = wW;
    r.ibufW = wA;
    long latency = ceilDiv(init, bw) + ceilDiv(fin, bw);
    long middle = r.dramR + r.dramW - init - fin;
    r.memCycles = ceilDiv(middle, bw);
    r.stall = Math.max(0, r.memCycles - c.compute) + latency;
    r.total = c.compute + r.stall;
  }

  /** Energy in nJ, summed in BitFusion's order (stats.py get_energy) so ties break identically. */
  private static double energy(Candidate c, Counters r, double core, EnergyTable e) {
    double d = c.compute * core;
    d += c.innerW * e.wbufReadNjPerBit();
    d += r.wbufW * e.wbufWriteNjPerBit();
    d += c.innerA * e.ibufReadNjPerBit();
    d += r.ibufW * e.ibufWriteNjPerBit();
    d += r.obufR * e.obufReadNjPerBit();
    d += r.obufW * e.obufWriteNjPerBit();
    d += r.dramR * e.dramNjPerBit();
    d += r.dramW * e.dramNjPerBit();
    return d;
  }

  /** {@code essential}: the essential-bit step count computed by {@link #simulate} (-1 when not applicable). */
  private static LayerResult result(Accelerator acc, WorkloadLayer layer, Candidate c, int[] order, Counters r,
                                    double core, EnergyTable e, int g, double essential) {
    double coreNj = c.compute * core * g;
    double wbufNj = (c.innerW * e.wbufReadNjPerBit() + r.wbufW * e.wbufWriteNjPerBit()) * g;
    double ibufNj = (c.innerA * e.ibufReadNjPerBit() + r.ibufW * e.ibufWriteNjPerBit()) * g;
    double obufNj = (r.obufR * e.obufReadNjPerBit() + r.obufW * e.obufWriteNjPerBit()) * g;
    double dramNj = (r.dramR * e.dramNjPerBit() + r.dramW * e.dramNjPerBit()) * g;
    double total = energy(c, r, core, e) * g;
    long cycles = r.total * g;
    long macs = layer.macs();
    long dramBits = (r.dramR + r.dramW) * g;
    double peak = acc.peakMacsPerCycle(layer.weightBits(), layer.inputBits());
    if (acc.pe() == PeModel.SERIAL_W_ESSENTIAL && layer.bitPlanes() != null) {
      peak = essential > 0 ? (double) acc.rows() * acc.cols() * acc.windowLanes() / essential : 0;
    }
    List<String> names = new ArrayList<>();
    for (int loop : order) {
      names.add(LOOP_NAMES[loop]);
    }
    Tiling tiling = new Tiling(c.b, c.ow, c.oh, c.ic, c.oc, Arrays.stream(c.trips).mapToInt(x -> (int) x).boxed()
        .toList(), names, c.dataflow);
    return new LayerResult(layer.name(), layer.weightBits(), layer.inputBits(), macs, c.compute * g, r.stall * g,
        cycles, acc.millis(cycles), c.innerW * g, r.wbufW * g, c.innerA * g, r.ibufW * g, r.obufR * g, r.obufW * g,
        r.dramR * g, r.dramW * g, coreNj, wbufNj, ibufNj, obufNj, dramNj, total,
        ceilDiv(r.dramR + r.dramW, acc.dramBitsPerCycle()) > c.compute, dramBits == 0 ? 0 : (double) macs / dramBits,
        cycles == 0 || peak == 0 ? 0 : macs / (cycles * peak), tiling);
  }

  /** {@code ceil(log2(x))} for x >= 1. */
  static int ceilLog2(long x) {
    return x <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(x - 1);
  }

  /** Ceiling division that is also correct for negative numerators (Python's math.ceil of a quotient). */
  static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }
}
