package org.bsq.bench.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Non-dominated points when lower cost (x) and higher accuracy (y) are better. */
public final class ParetoFront {
  private ParetoFront() {}

  /**
   * A point of a cost-accuracy plot.
   *
   * @param x cost (average bits, latency, energy): lower is better
   * @param y accuracy: higher is better
   * @param ySd standard deviation of y over seeds (NaN for one seed)
   * @param label what the point is (a run or seed group)
   */
  public record Point(double x, double y, double ySd, String label) {}

  /**
   * The points no other point dominates (another point dominates p when its x is at most p's, its y at least p's,
   * and one of them strictly better), sorted by x; points with NaN coordinates are ignored.
   */
  public static List<Point> front(List<Point> points) {
    List<Point> valid = points.stream().filter(p -> !Double.isNaN(p.x()) && !Double.isNaN(p.y())).toList();
    List<Point> out = new ArrayList<>();
    for (Point p : valid) {
      boolean dominated = false;
      for (Point q : valid) {
        if (q != p && q.x() <= p.x() && q.y() >= p.y() && (q.x() < p.x() || q.y() > p.y())) {
          dominated = true;
          break;
        }
      }
      if (!dominated) {
        out.add(p);
      }
    }
    out.sort(Comparator.comparingDouble(Point::x).thenComparing(Comparator.comparingDouble(Point::y).reversed()));
    return List.copyOf(out);
  }
}
