package org.bsq.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bsq.bench.report.ParetoFront.Point;
import org.bsq.bench.report.SeedStatistics.Comparison;
import org.bsq.bench.report.SeedStatistics.SeedGroup;
import org.bsq.bench.report.SeedStatistics.Summary;
import org.junit.jupiter.api.Test;

class SeedStatisticsTest {
  private static SeedGroup group(String label) {
    return new SeedGroup(label, label, label, List.of());
  }

  @Test
  void runsDifferingOnlyInTheSeedFormOneGroupAndFailedRunsNone() {
    List<SeedGroup> groups = SeedStatistics.groups(ReportFixtures.standard());
    assertEquals(List.of("bsq", "uniform [uniform4-s0]", "uniform [uniform2-s0]", "random"),
        groups.stream().map(SeedGroup::label).toList());
    assertEquals(List.of(0L, 1L, 2L), groups.get(0).seeds());
    assertEquals(List.of("uniform4-s0", "uniform4-s1", "uniform4-s2"),
        groups.get(1).runs().stream().map(ReportRun::label).toList());
    assertEquals(1, groups.get(3).runs().size());
  }

  @Test
  void summaryIsMeanAndSampleStandardDeviation() {
    Summary s = Summary.of(new double[] {1, 2, 3, Double.NaN});
    assertEquals(2.0, s.mean(), 1e-12);
    assertEquals(1.0, s.sd(), 1e-12);
    assertEquals(3, s.n());
    assertEquals("2.00 ± 1.00", s.format("%.2f"));
    assertEquals("5.0", Summary.of(new double[] {5}).format("%.1f"));
    assertTrue(Double.isNaN(Summary.of(new double[] {5}).sd()));
    assertEquals("-", Summary.of(new double[0]).format("%.1f"));
  }

  @Test
  void clearlyDifferentGroupsAreSignificant() {
    Comparison c = SeedStatistics.compare(group("bsq"), group("uniform"),
        new double[] {0.901, 0.905, 0.899, 0.903, 0.902}, new double[] {0.851, 0.849, 0.855, 0.850, 0.852});
    assertTrue(c.welchP() < 0.05, "p = " + c.welchP());
    assertNotNull(c.mannWhitneyP());
    assertTrue(c.mannWhitneyP() < 0.05, "p = " + c.mannWhitneyP());
    assertTrue(c.significant());
    assertTrue(c.verdict().startsWith("real difference at alpha 0.05: bsq is higher by 5.06 points"), c.verdict());
  }

  @Test
  void groupsFromOneDistributionAreNot() {
    Comparison c = SeedStatistics.compare(group("a"), group("b"),
        new double[] {0.80, 0.82, 0.81, 0.79}, new double[] {0.81, 0.79, 0.80, 0.82});
    assertTrue(c.welchP() > 0.05, "p = " + c.welchP());
    assertTrue(c.mannWhitneyP() > 0.05, "p = " + c.mannWhitneyP());
    assertFalse(c.significant());
    assertTrue(c.verdict().startsWith("no significant difference at alpha 0.05"), c.verdict());
    // and noise from one distribution: 10 seeded draws each
    java.util.Random r = new java.util.Random(1);
    double[] x = new double[10];
    double[] y = new double[10];
    for (int i = 0; i < 10; i++) {
      x[i] = 0.85 + 0.01 * r.nextGaussian();
      y[i] = 0.85 + 0.01 * r.nextGaussian();
    }
    assertTrue(SeedStatistics.compare(group("a"), group("b"), x, y).welchP() > 0.05);
  }

  @Test
  void fewerThanTwoSeedsIsNotTestableAndMannWhitneyNeedsThree() {
    Comparison one = SeedStatistics.compare(group("a"), group("b"), new double[] {0.9}, new double[] {0.8, 0.81});
    assertNull(one.welchP());
    assertNull(one.mannWhitneyP());
    assertTrue(one.verdict().startsWith("not testable: fewer than 2 seeds (a: 1, b: 2)"), one.verdict());
    Comparison two = SeedStatistics.compare(group("a"), group("b"), new double[] {0.9, 0.91},
        new double[] {0.8, 0.81});
    assertNotNull(two.welchP());
    assertNull(two.mannWhitneyP());
    Comparison flat = SeedStatistics.compare(group("a"), group("b"), new double[] {0.9, 0.9},
        new double[] {0.9, 0.9});
    assertNull(flat.welchP());
    assertTrue(flat.verdict().startsWith("not testable"), flat.verdict());
  }

  @Test
  void everyPairOfGroupsIsCompared() {
    List<Comparison> all = SeedStatistics.compareAll(SeedStatistics.groups(ReportFixtures.standard()));
    assertEquals(6, all.size());
    Comparison bsqVsUniform2 = all.get(1);
    assertEquals("uniform [uniform2-s0]", bsqVsUniform2.b().label());
    assertTrue(bsqVsUniform2.significant(), bsqVsUniform2.verdict());
    assertTrue(all.get(2).verdict().startsWith("not testable"), all.get(2).verdict()); // random has one seed
  }

  @Test
  void paretoFrontKeepsTheNonDominatedPointsSortedByCost() {
    Point a = new Point(2, 70, 0, "a");
    Point b = new Point(3.8, 90, 0, "b");
    Point c = new Point(4, 85, 0, "c"); // dominated by b
    Point d = new Point(3.8, 88, 0, "d"); // dominated by b (same cost, lower accuracy)
    Point e = new Point(1, 60, 0, "e");
    Point nan = new Point(Double.NaN, 99, 0, "nan");
    assertEquals(List.of(e, a, b), ParetoFront.front(List.of(c, b, a, d, e, nan)));
    Point twin = new Point(2, 70, 0, "twin");
    assertEquals(List.of(a, twin), ParetoFront.front(List.of(a, twin)));
  }
}
