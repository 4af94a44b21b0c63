package org.bsq.core.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.graph.GraphBuilder;
import org.bsq.core.param.ParameterStore;
import org.junit.jupiter.api.Test;

/** Forward values of the reference backend against independent hand computations. */
class ReferenceForwardTest {
  private final ReferenceBackend backend = new ReferenceBackend(2);

  /** Naive zero-padded convolution, written as the textbook formula. */
  private static double[] naiveConv(float[] x, int n, int c, int h, int w, float[] weights, int o, int k, int s, int p) {
    int oh = (h + 2 * p - k) / s + 1;
    int ow = (w + 2 * p - k) / s + 1;
    double[] y = new double[n * o * oh * ow];
    for (int b = 0; b < n; b++) {
      for (int f = 0; f < o; f++) {
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            double sum = 0;
            for (int ch = 0; ch < c; ch++) {
              for (int u = 0; u < k; u++) {
                for (int v = 0; v < k; v++) {
                  int row = i * s - p + u;
                  int col = j * s - p + v;
                  boolean inside = row >= 0 && row < h && col >= 0 && col < w;
                  double xv = inside ? x[((b * c + ch) * h + row) * w + col] : 0.0;
                  sum += weights[((f * c + ch) * k + u) * k + v] * xv;
                }
              }
            }
            y[((b * o + f) * oh + i) * ow + j] = sum;
          }
        }
      }
    }
    return y;
  }

  @Test
  void convWithStrideAndPaddingThenPoolingAndLinearMatchTheFormulas() {
    int n = 3;
    GraphBuilder b = new GraphBuilder("conv", 2, 7, 6);
    int conv = b.conv("c", b.input(), 4, 3, 2, 1); // 4x4x3
    int pool = b.globalAvgPool(conv);
    b.linear("fc", pool, 3);
    Model model = TinyNets.randomModel(b.build(), 5);
    float[] x = TinyNets.input(model, n, 6);
    ParameterStore ps = model.parameters();
    double[] conv1 = naiveConv(x, n, 2, 7, 6, ps.get("c.weight").value(), 4, 3, 2, 1);
    try (CompiledNetwork net = backend.compile(model, n)) {
      float[] logits = net.forward(x, false).clone();
      float[] convOut = ((ReferenceNetwork) net).output(conv);
      assertEquals(conv1.length, convOut.length);
      for (int i = 0; i < conv1.length; i++) {
        assertEquals(conv1[i], convOut[i], 1e-6 * Math.max(1, Math.abs(conv1[i])), "conv output " + i);
      }
      float[] w = ps.get("fc.weight").value();
      float[] bias = ps.get("fc.bias").value();
      for (int s = 0; s < n; s++) {
        double[] pooled = new double[4];
        for (int f = 0; f < 4; f++) {
          for (int j = 0; j < 12; j++) {
            pooled[f] += conv1[(s * 4 + f) * 12 + j] / 12;
          }
        }
        for (int cls = 0; cls < 3; cls++) {
          double expected = bias[cls];
          for (int f = 0; f < 4; f++) {
            expected += w[cls * 4 + f] * pooled[f];
          }
          assertEquals(expected, logits[s * 3 + cls], 1e-5, "logit " + s + "," + cls);
        }
      }
    }
  }

  @Test
  void addSumsElementwise() {
    GraphBuilder b = new GraphBuilder("add", 2, 3, 3);
    int left = b.conv("l", b.input(), 2, 1, 1, 0);
    int right = b.conv("r", b.input(), 2, 3, 1, 1);
    int sum = b.add(left, right);
    b.linear("fc", b.globalAvgPool(sum), 2);
    Model model = TinyNets.randomModel(b.build(), 8);
    float[] x = TinyNets.input(model, 2, 9);
    try (CompiledNetwork net = backend.compile(model, 2)) {
      net.forward(x, true);
      ReferenceNetwork r = (ReferenceNetwork) net;
      float[] a = r.output(left);
      float[] c = r.output(right);
      float[] y = r.output(sum);
      for (int i = 0; i < y.length; i++) {
        assertEquals(a[i] + c[i], y[i], 0f);
      }
    }
  }

  /** Input {@code C x 1 x 1}, BN, pooling (identity here) and an identity linear layer: the logits are BN's output. */
  private static Model bnProbe(int channels, long seed) {
    GraphBuilder b = new GraphBuilder("bn", channels, 1, 1);
    b.linear("fc", b.globalAvgPool(b.batchNorm("bn", b.input())), channels);
    Model model = TinyNets.randomModel(b.build(), seed);
    float[] w = model.parameters().get("fc.weight").value();
    Arrays.fill(w, 0f);
    for (int i = 0; i < channels; i++) {
      w[i * channels + i] = 1f;
    }
    Arrays.fill(model.parameters().get("fc.bias").value(), 0f);
    return model;
  }

  @Test
  void batchNormTrainingUsesBatchStatisticsAndEvalUsesRunningStatistics() {
    int n = 5;
    int c = 3;
    Model model = bnProbe(c, 13);
    ParameterStore ps = model.parameters();
    float[] x = TinyNets.input(model, n, 14);
    float[] gamma = ps.get("bn.weight").value().clone();
    float[] beta = ps.get("bn.bias").value().clone();
    float[] rm = ps.get("bn.running_mean").value().clone();
    float[] rv = ps.get("bn.running_var").value().clone();
    try (CompiledNetwork net = backend.compile(model, n)) {
      float[] eval = net.forward(x, false).clone();
      assertArrayEquals(rm, ps.get("bn.running_mean").value(), "eval must not touch running stats");
      assertArrayEquals(rv, ps.get("bn.running_var").value(), "eval must not touch running stats");
      float[] train = net.forward(x, true).clone();
      for (int ch = 0; ch < c; ch++) {
        double mean = 0;
        for (int s = 0; s < n; s++) {
          mean += x[s * c + ch];
        }
        mean /= n;
        double var = 0;
        for (int s = 0; s < n; s++) {
          var += (x[s * c + ch] - mean) * (x[s * c + ch] - mean);
        }
        var /= n;
        for (int s = 0; s < n; s++) {
          double xv = x[s * c + ch];
          double expectTrain = (xv - mean) / Math.sqrt(var + 1e-5) * gamma[ch] + beta[ch];
          double expectEval = (xv - rm[ch]) / Math.sqrt(rv[ch] + 1e-5) * gamma[ch] + beta[ch];
          assertEquals(expectTrain, train[s * c + ch], 1e-5, "train output");
          assertEquals(expectEval, eval[s * c + ch], 1e-5, "eval output");
          assertNotEquals(train[s * c + ch], eval[s * c + ch], "train and eval must differ here");
        }
      }
      // Eval outputs of a sample do not depend on the rest of the batch; training outputs do.
      float[] changed = x.clone();
      for (int i = c; i < changed.length; i++) {
        changed[i] += 1f;
      }
      float[] evalAgain = net.forward(x, false).clone(); // running stats were updated by the training pass
      float[] eval2 = net.forward(changed, false).clone();
      float[] train2 = net.forward(changed, true).clone();
      for (int ch = 0; ch < c; ch++) {
        assertEquals(evalAgain[ch], eval2[ch], 0f);
        assertNotEquals(train[ch], train2[ch]);
      }
    }
  }

  @Test
  void runningStatisticsFollowPyTorchMomentumUpdateWithUnbiasedVariance() {
    int n = 4;
    GraphBuilder b = new GraphBuilder("bnstats", 3, 2, 3);
    b.linear("fc", b.globalAvgPool(b.batchNorm("bn", b.input())), 2);
    Model model = TinyNets.randomModel(b.build(), 17);
    ParameterStore ps = model.parameters();
    double[] rm = toDouble(ps.get("bn.running_mean").value());
    double[] rv = toDouble(ps.get("bn.running_var").value());
    try (CompiledNetwork net = backend.compile(model, n)) {
      for (int step = 0; step < 3; step++) {
        float[] x = TinyNets.input(model, n, 100 + step);
        for (int i = 0; i < x.length; i++) {
          x[i] = x[i] * 2f + 0.5f * step;
        }
        net.forward(x, true);
        for (int ch = 0; ch < 3; ch++) {
          double sum = 0;
          int count = 0;
          for (int s = 0; s < n; s++) {
            for (int j = 0; j < 6; j++) {
              sum += x[(s * 3 + ch) * 6 + j];
              count++;
            }
          }
          double mean = sum / count;
          double sq = 0;
          for (int s = 0; s < n; s++) {
            for (int j = 0; j < 6; j++) {
              double d = x[(s * 3 + ch) * 6 + j] - mean;
              sq += d * d;
            }
          }
          double unbiased = sq / (count - 1);
          rm[ch] = 0.9 * rm[ch] + 0.1 * mean;
          rv[ch] = 0.9 * rv[ch] + 0.1 * unbiased;
          assertEquals(rm[ch], ps.get("bn.running_mean").value()[ch], 1e-6, "running mean, step " + step);
          assertEquals(rv[ch], ps.get("bn.running_var").value()[ch], 1e-6 * rv[ch], "running var, step " + step);
        }
      }
    }
  }

  @Test
  void batchNormTrainingNeedsMoreThanOneValuePerChannel() {
    Model model = bnProbe(2, 3);
    try (CompiledNetwork net = backend.compile(model, 1)) {
      float[] x = TinyNets.input(model, 1, 4);
      net.forward(x, false);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.forward(x, true));
      assertEquals("batch norm 'bn' needs more than 1 value per channel in training mode, was 1", e.getMessage());
    }
  }

  private static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }
}
