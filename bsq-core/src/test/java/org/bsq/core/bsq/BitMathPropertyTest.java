package org.bsq.core.bsq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Properties of the bit math over many random tensors. */
class BitMathPropertyTest {
  private static float[] randomWeights(SplittableRandom r, int count) {
    float[] w = new float[count];
    for (int k = 0; k < count; k++) {
      w[k] = (float) (r.nextGaussian() * 0.3);
      if (r.nextInt(10) == 0) {
        w[k] = 0f;
      }
    }
    return w;
  }

  @Test
  void decomposeThenComposeEqualsQuantize() {
    SplittableRandom r = new SplittableRandom(1);
    for (int trial = 0; trial < 200; trial++) {
      int bits = 1 + r.nextInt(8);
      float[] w = randomWeights(r, 1 + r.nextInt(200));
      BitPlanes planes = BitPlanes.fromFloat(w, bits);
      float s = BitMath.maxAbs(w, w.length);
      float step = BitMath.step(bits);
      float[] expected = new float[w.length];
      for (int k = 0; k < w.length; k++) {
        float level = (float) Math.rint((Math.abs(w[k]) * step) / s);
        float sign = w[k] > 0 ? 1f : (w[k] < 0 ? -1f : 0f);
        expected[k] = ((level / step) * sign) * s;
      }
      Golden.assertBitwise(expected, planes.reconstruct(), "trial " + trial, true);
      for (float v : planes.p()) {
        assertTrue(v == 0f || v == 1f);
      }
    }
  }

  @Test
  void planesAreBinaryAfterRequantization() {
    SplittableRandom r = new SplittableRandom(2);
    for (int trial = 0; trial < 200; trial++) {
      int bits = 1 + r.nextInt(8);
      int count = 1 + r.nextInt(100);
      float[] p = new float[count * bits];
      float[] n = new float[count * bits];
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) (2 * r.nextDouble());
        n[i] = (float) (2 * r.nextDouble());
      }
      BitPlanes before = new BitPlanes(count, bits, 0.5f, p, n);
      int maxBits = r.nextBoolean() ? bits : 8;
      BitPlanes after = before.requantize(maxBits);
      assertTrue(after.bits() == bits || (after.bits() == bits + 1 && bits < maxBits), "bits " + after.bits());
      for (int i = 0; i < after.p().length; i++) {
        assertTrue(after.p()[i] == 0f || after.p()[i] == 1f, "p is 0/1");
        assertTrue(after.n()[i] == 0f || after.n()[i] == 1f, "n is 0/1");
        assertTrue(after.p()[i] * after.n()[i] == 0f, "sign-magnitude: only one side set");
      }
      // at maximum precision the values are the clamped forward values (no growth, levels clipped)
      if (maxBits == bits) {
        Golden.assertBitwise(before.reconstruct(), after.reconstruct(), "trial " + trial, true);
      }
      // binary planes are a fixed point
      BitPlanes again = after.requantize(maxBits);
      assertEquals(after.bits(), again.bits());
      Golden.assertPlanes(after.p(), again.p(), "fixed point p");
      Golden.assertPlanes(after.n(), again.n(), "fixed point n");
    }
  }

  @Test
  void droppingEmptyPlanesWithTheScaleAdjustmentKeepsEveryValue() {
    SplittableRandom r = new SplittableRandom(3);
    for (int trial = 0; trial < 200; trial++) {
      int bits = 2 + r.nextInt(7);
      int count = 2 + r.nextInt(60);
      int emptyMsb = 1 + r.nextInt(bits - 1);
      int emptyLsb = r.nextInt(bits - emptyMsb);
      float[] p = new float[count * bits];
      float[] n = new float[count * bits];
      for (int k = 0; k < count; k++) {
        float[] side = r.nextBoolean() ? p : n;
        for (int i = emptyMsb; i < bits - emptyLsb; i++) {
          side[k * bits + i] = r.nextInt(2);
        }
      }
      // make the kept outer planes non-empty
      p[emptyMsb] = 1f;
      n[emptyMsb] = 0f;
      p[bits + bits - emptyLsb - 1] = 1f;
      n[bits + bits - emptyLsb - 1] = 0f;
      BitPlanes before = new BitPlanes(count, bits, 0.37f, p, n);
      BitPlanes after = before.adjustPrecision(0.0, true, false);
      int expectedBits = Math.max(1, bits - emptyMsb - emptyLsb);
      assertEquals(expectedBits, after.bits(), "trial " + trial);
      long[] la = before.signedLevels();
      long[] lb = after.signedLevels();
      for (int k = 0; k < count; k++) {
        assertEquals(la[k], lb[k] << emptyLsb, "level " + k);
      }
      float[] a = before.reconstruct();
      float[] b = after.reconstruct();
      for (int k = 0; k < count; k++) {
        // equal up to the float32 rounding of the rescaled scale (the reference's arithmetic; golden 05 shows it)
        assertEquals(a[k], b[k], 4 * Math.ulp(a[k]), "trial " + trial + " value " + k);
      }
    }
  }
}
