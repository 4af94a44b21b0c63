package org.bsq.hwsim;

import java.util.List;

/**
 * The tiling the search chose for a layer (per group): tile sizes, trip counts, the loop order (outermost first) and
 * the inner (SRAM-level) dataflow.
 *
 * @param batchTile b
 * @param widthTile ow
 * @param heightTile oh
 * @param inChannelTile ic
 * @param outChannelTile oc
 * @param trips trip counts of the tile loops B/b, OW/ow, OH/oh, IC/ic, OC/oc
 * @param order loop order, outermost first, e.g. {@code [OC/oc, B/b, OW/ow, OH/oh, IC/ic]}
 * @param dataflow inner schedule chosen by BitFusion's bit-count proxy: OS, IS or WS
 */
public record Tiling(int batchTile, int widthTile, int heightTile, int inChannelTile, int outChannelTile,
                     List<Integer> trips, List<String> order, String dataflow) {
  public Tiling {
    trips = List.copyOf(trips);
    order = List.copyOf(order);
  }

  /** A compact one-line form: {@code b16 o7 ic64 oc32 [OC,B,OW,OH,IC] OS}. */
  public String compact() {
    StringBuilder s = new StringBuilder();
    s.append('b').append(batchTile).append(" o").append(widthTile);
    if (heightTile != widthTile) {
      s.append('x').append(heightTile);
    }
    s.append(" ic").append(inChannelTile).append(" oc").append(outChannelTile).append(" [");
    for (int i = 0; i < order.size(); i++) {
      s.append(i == 0 ? "" : ",").append(order.get(i), 0, order.get(i).indexOf('/'));
    }
    return s.append("] ").append(dataflow).toString();
  }
}
