package org.bsq.baselines.haq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.junit.jupiter.api.Test;

class HaqDdpgAgentTest {
  private static DdpgAgent agent(int hidden, double actorLr, double criticLr, long seed) {
    return new DdpgAgent(new DdpgAgent.Settings(HaqEnvironment.FEATURES, hidden, hidden, actorLr, criticLr, 0.01, 1.0,
        16, 256, 0.5, 0.99, 2, 0.5, seed));
  }

  private static double[] state(SplittableRandom r) {
    double[] s = new double[HaqEnvironment.FEATURES];
    for (int i = 0; i < s.length; i++) {
      s[i] = r.nextDouble();
    }
    return s;
  }

  @Test
  void actionsStayInTheUnitInterval() {
    DdpgAgent a = agent(16, 1e-4, 1e-3, 3);
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < 300; i++) {
      double[] s = state(r);
      double mu = a.act(s);
      assertTrue(mu > 0 && mu < 1, "actor output " + mu);
      double x = a.selectAction(s, i % 50);
      assertTrue(x >= 0 && x <= 1, "explored action " + x);
      double u = a.randomAction();
      assertTrue(u >= 0 && u < 1, "random action " + u);
    }
    assertEquals(0.5 * Math.pow(0.99, 49 - 2), a.delta(), 1e-12, "delta decays per episode after the warm-up");
  }

  @Test
  void truncatedNormalRespectsBoundsAndCentre() {
    SplittableRandom r = new SplittableRandom(4);
    double sum = 0;
    for (int i = 0; i < 20_000; i++) {
      double x = DdpgAgent.truncatedNormal(0.5, 0.1, r);
      assertTrue(x >= 0 && x <= 1);
      sum += x;
    }
    assertEquals(0.5, sum / 20_000, 0.01);
    assertEquals(1.0, DdpgAgent.truncatedNormal(1.7, 0, r));
  }

  @Test
  void targetsStartAsCopiesAndFollowBySoftUpdates() {
    DdpgAgent a = agent(8, 1e-4, 1e-3, 5);
    assertEquals(a.actor().params(), a.actorTarget().params());
    assertEquals(a.critic().params(), a.criticTarget().params());
    INDArray target = a.actorTarget().params().dup();
    INDArray source = a.actor().params().add(1.0);
    a.actor().setParams(source);
    DdpgAgent.softUpdate(a.actorTarget(), a.actor(), 0.01);
    INDArray expected = target.mul(0.99).add(source.mul(0.01));
    assertArrayEquals(expected.toDoubleVector(), a.actorTarget().params().toDoubleVector(), 1e-12);
  }

  @Test
  void sameSeedSameAgentDifferentSeedDifferentAgent() {
    assertEquals(agent(8, 1e-4, 1e-3, 9).actor().params(), agent(8, 1e-4, 1e-3, 9).actor().params());
    assertNotEquals(agent(8, 1e-4, 1e-3, 9).actor().params(), agent(8, 1e-4, 1e-3, 10).actor().params());
  }

  /**
   * A one-state bandit: reward {@code -(a - 0.8)^2}. The critic learns Q through DL4J's external-error backprop and the
   * actor climbs the critic's action gradient towards 0.8: checks the whole dQ/da plumbing.
   */
  @Test
  void actorClimbsTheCriticsActionGradient() {
    DdpgAgent a = agent(32, 1e-3, 1e-2, 11);
    SplittableRandom r = new SplittableRandom(12);
    double[] s = new double[HaqEnvironment.FEATURES];
    java.util.Arrays.fill(s, 0.5);
    double start = a.act(s);
    for (int i = 0; i < 600; i++) {
      double action = r.nextDouble();
      a.observe(-(action - 0.8) * (action - 0.8), s, action, true);
      if (a.memorySize() > 20) {
        a.update();
      }
    }
    double end = a.act(s);
    assertTrue(Math.abs(end - 0.8) < 0.1 && Math.abs(end - 0.8) < Math.abs(start - 0.8),
        "actor went from " + start + " to " + end + ", optimum 0.8");
    assertTrue(a.value(s, 0.8) > a.value(s, 0.1), "the critic ranks the optimum above a poor action");
  }
}
