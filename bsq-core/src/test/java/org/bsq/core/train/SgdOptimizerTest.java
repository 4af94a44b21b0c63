package org.bsq.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;
import org.junit.jupiter.api.Test;

/**
 * SGD against torch.optim.SGD steps. The expected values were computed outside this code base with NumPy float32
 * following torch.optim.SGD's single-tensor algorithm (d = g + wd*p; buf = d first, then m*buf + d; nesterov d + m*buf;
 * p += -lr*d), p0 = [1, -2, 0.5], gradients g1 = [0.1, 0.2, -0.3], g2 = [0.05, -0.4, 0.25], g3 = [-0.2, 0.1, 0],
 * lr = 0.1. First step by hand with wd 0.01: d = 0.1 + 0.01*1 = 0.11, buf = d, p = 1 - 0.1*0.11 = 0.989.
 */
class SgdOptimizerTest {
  private static final float[] P0 = {1f, -2f, 0.5f};
  private static final float[][] GRADS = {{0.1f, 0.2f, -0.3f}, {0.05f, -0.4f, 0.25f}, {-0.2f, 0.1f, 0f}};

  private static float[][] run(SgdSettings settings) {
    ParameterStore store = new ParameterStore();
    Parameter p = store.add(new Parameter("w", new int[] {3}, ParameterRole.WEIGHT, P0.clone()));
    SgdOptimizer opt = new SgdOptimizer(settings);
    float[][] out = new float[GRADS.length][];
    for (int s = 0; s < GRADS.length; s++) {
      System.arraycopy(GRADS[s], 0, p.grad(), 0, 3);
      opt.step(store);
      out[s] = p.value().clone();
    }
    return out;
  }

  @Test
  void plainSgd() {
    float[][] r = run(SgdSettings.of(0.1, 0, 0));
    assertArrayEquals(new float[] {0.99f, -2.02f, 0.53f}, r[0]);
    assertArrayEquals(new float[] {0.985f, -1.98f, 0.505f}, r[1]);
    assertArrayEquals(new float[] {1.005f, -1.99f, 0.505f}, r[2]);
  }

  @Test
  void plainSgdWithWeightDecay() {
    float[][] r = run(SgdSettings.of(0.1, 0, 0.01));
    assertArrayEquals(new float[] {0.989f, -2.018f, 0.5295f}, r[0]);
    assertArrayEquals(new float[] {0.983011f, -1.9759818f, 0.5039705f}, r[1]);
    assertArrayEquals(new float[] {1.002028f, -1.9840058f, 0.50346655f}, r[2]);
  }

  @Test
  void momentumFirstStepUsesTheGradientAsBuffer() {
    float[][] r = run(SgdSettings.of(0.1, 0.9, 0));
    // first step: buf = g (not (1 - dampening) * g, not 0.9 * 0 + g scaled): p = p - lr * g
    assertArrayEquals(new float[] {0.99f, -2.02f, 0.53f}, r[0]);
    assertArrayEquals(new float[] {0.976f, -1.998f, 0.53199995f}, r[1]);
    assertArrayEquals(new float[] {0.9834f, -1.9882001f, 0.53379995f}, r[2]);
  }

  @Test
  void momentumWithWeightDecay() {
    float[][] r = run(SgdSettings.of(0.1, 0.9, 0.01));
    assertArrayEquals(new float[] {0.989f, -2.018f, 0.5295f}, r[0]);
    assertArrayEquals(new float[] {0.97311103f, -1.9921819f, 0.5305205f}, r[1]);
    assertArrayEquals(new float[] {0.9778378f, -1.9769535f, 0.5309084f}, r[2]);
  }

  @Test
  void nesterovWithWeightDecay() {
    float[][] r = run(SgdSettings.of(0.1, 0.9, 0.01).withNesterov(true));
    // first step: d = 0.11, buf = 0.11, d = 0.11 + 0.9 * 0.11 = 0.209, p = 1 - 0.0209 = 0.9791
    assertArrayEquals(new float[] {0.9791f, -2.0342f, 0.55605f}, r[0]);
    assertArrayEquals(new float[] {0.9588297f, -1.968915f, 0.5313885f}, r[1]);
    assertArrayEquals(new float[] {0.98214585f, -1.9632484f, 0.53118396f}, r[2]);
  }

  @Test
  void nesterovNeedsMomentum() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SgdSettings.of(0.1, 0, 0).withNesterov(true));
    assertTrue(e.getMessage().contains("momentum"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SgdSettings.of(-0.1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> SgdSettings.of(0.1, Double.NaN, 0));
  }

  @Test
  void updatesOnlyTrainableParametersAndHonoursExcludedRoles() {
    ParameterStore store = new ParameterStore();
    Parameter w = store.add(new Parameter("w", new int[] {1}, ParameterRole.WEIGHT, new float[] {1f}));
    Parameter bn = store.add(new Parameter("bn.weight", new int[] {1}, ParameterRole.BN_WEIGHT, new float[] {1f}));
    Parameter stat = store.add(new Parameter("bn.running_var", new int[] {1}, ParameterRole.BN_RUNNING_STAT,
        new float[] {1f}));
    SgdOptimizer opt = new SgdOptimizer(SgdSettings.of(0.1, 0.9, 0.5).withWeightDecayExcluded(ParameterRole.BN_WEIGHT));
    opt.step(store);  // zero gradients: only weight decay moves w
    assertEquals(1f - 0.1f * (0.5f * 1f), w.value()[0]);
    assertEquals(1f, bn.value()[0]);
    assertEquals(1f, stat.value()[0]);
    assertEquals(Set.of("w", "bn.weight"), opt.stateNames());
  }

  @Test
  void stateIsDroppedWhenTheShapeChangesOrOnReset() {
    ParameterStore store = new ParameterStore();
    Parameter p = store.add(new Parameter("w", new int[] {1}, ParameterRole.STRATEGY, new float[] {0f}));
    SgdOptimizer opt = new SgdOptimizer(SgdSettings.of(1, 0.5, 0));
    p.grad()[0] = 1;
    opt.step(store);  // buf = 1, p = -1
    opt.step(store);  // buf = 0.5 + 1 = 1.5, p = -2.5
    assertEquals(-2.5f, p.value()[0]);
    assertArrayEquals(new float[] {1.5f}, opt.momentumBuffer("w"));

    Parameter q = store.replace(new Parameter("w", new int[] {2}, ParameterRole.STRATEGY, new float[] {0f, 0f}));
    q.grad()[0] = 1;
    q.grad()[1] = 2;
    opt.step(store);  // new shape: first-step rule again
    assertArrayEquals(new float[] {-1f, -2f}, q.value());
    assertArrayEquals(new float[] {1f, 2f}, opt.momentumBuffer("w"));

    opt.reset("w");
    assertNull(opt.momentumBuffer("w"));
    opt.step(store);
    assertArrayEquals(new float[] {-2f, -4f}, q.value());

    store.remove("w");
    opt.step(store);
    assertTrue(opt.stateNames().isEmpty(), "state of removed parameters is dropped");
    opt.setMomentumBuffer("x", new int[] {1}, new float[] {3f});
    opt.resetAll();
    assertTrue(opt.stateNames().isEmpty());
  }

  @Test
  void learningRateIsSettable() {
    SgdOptimizer opt = new SgdOptimizer(SgdSettings.of(0.1, 0, 0));
    assertEquals(0.1, opt.learningRate());
    opt.setLearningRate(0.01);
    assertEquals(0.01, opt.learningRate());
    assertThrows(IllegalArgumentException.class, () -> opt.setLearningRate(Double.POSITIVE_INFINITY));
  }
}
