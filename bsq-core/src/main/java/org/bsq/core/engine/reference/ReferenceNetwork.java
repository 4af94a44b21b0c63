package org.bsq.core.engine.reference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.HeadKernels;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.Op;
import org.bsq.core.graph.Shape;
import org.bsq.core.param.ParameterStore;

/**
 * A {@link Model} compiled by {@link ReferenceBackend}: one output buffer and one gradient buffer per node
 * ({@code batch x C x H x W} floats), and one kernel per op. Parameters are looked up by name in the model's store on
 * every call, so strategies may replace them between steps.
 */
final class ReferenceNetwork implements CompiledNetwork {
  private final Model model;
  private final Graph graph;
  private final int batch;
  private final Parallel parallel;
  private final float[][] out;
  private final float[][] grad;
  private final Kernel[] kernels;
  private boolean trainingStateValid;
  private boolean closed;

  ReferenceNetwork(Model model, int batch, int parallelism, List<MaskPin> maskPins) {
    this.model = model;
    this.graph = model.graph();
    this.batch = batch;
    Map<String, List<MaskPin>> pinsByActivation = pinsByActivation(maskPins);
    int nodes = graph.size();
    this.out = new float[nodes][];
    this.grad = new float[nodes][];
    for (int i = 0; i < nodes; i++) {
      long size = (long) batch * graph.shape(i).size();
      if (size > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("node " + i + " output for batch " + batch + " must fit an array, was "
            + size + " elements");
      }
      out[i] = new float[(int) size];
      grad[i] = i == 0 ? null : new float[(int) size];
    }
    this.kernels = new Kernel[nodes];
    for (int i = 0; i < nodes; i++) {
      kernels[i] = kernelFor(i, graph.op(i));
      if (graph.op(i) instanceof Op.Activation a && pinsByActivation.containsKey(a.name())) {
        ((Activation) kernels[i]).pin(pinsByActivation.remove(a.name()));
      }
    }
    if (!pinsByActivation.isEmpty()) {
      throw new IllegalArgumentException("mask pins must name activations of '" + graph.name() + "', was "
          + pinsByActivation.keySet());
    }
    this.parallel = new Parallel(parallelism);
  }

  private static Map<String, List<MaskPin>> pinsByActivation(List<MaskPin> pins) {
    Map<String, List<MaskPin>> map = new HashMap<>();
    for (MaskPin p : pins) {
      map.computeIfAbsent(p.activation(), k -> new ArrayList<>()).add(p);
    }
    return map;
  }

  @Override
  public Model model() { return model; }

  @Override
  public int batchSize() { return batch; }

  @Override
  public float[] forward(float[] input, boolean training) {
    checkOpen();
    if (input == null || input.length != out[0].length) {
      throw new IllegalArgumentException("input must have batch x C x H x W = " + batch + " x " + graph.inputShape()
          + " = " + out[0].length + " floats, was " + (input == null ? "null" : input.length));
    }
    trainingStateValid = false;
    System.arraycopy(input, 0, out[0], 0, input.length);
    for (int i = 1; i < kernels.length; i++) {
      kernels[i].forward(training);
    }
    trainingStateValid = training;
    return out[graph.outputNode()];
  }

  @Override
  public void backward(float[] logitsGradient) {
    checkOpen();
    if (!trainingStateValid) {
      throw new IllegalStateException("backward needs a preceding training-mode forward pass");
    }
    int last = graph.outputNode();
    if (logitsGradient == null || logitsGradient.length != out[last].length) {
      throw new IllegalArgumentException("logits gradient must have batch x classes = " + out[last].length
          + " floats, was " + (logitsGradient == null ? "null" : logitsGradient.length));
    }
    for (int i = 1; i < last; i++) {
      Arrays.fill(grad[i], 0f);
    }
    System.arraycopy(logitsGradient, 0, grad[last], 0, logitsGradient.length);
    for (int i = last; i >= 1; i--) {
      kernels[i].backward();
    }
  }

  /** A copy of node {@code node}'s output from the last forward pass (for tests and debugging). */
  float[] output(int node) {
    return out[node].clone();
  }

  /** A copy of dL/d(node {@code node}'s output) from the last backward pass (for tests and debugging). */
  float[] gradient(int node) {
    return grad[node].clone();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      parallel.close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("compiled network of '" + graph.name() + "' is closed");
    }
  }

  private ParameterStore store() { return model.parameters(); }

  private Kernel kernelFor(int node, Op op) {
    if (op instanceof Op.Input) {
      if (node != 0) {
        throw new IllegalArgumentException("input op must be node 0, was node " + node);
      }
      return null;
    }
    if (op instanceof Op.Conv2d c) {
      return new Conv(node, c);
    }
    if (op instanceof Op.BatchNorm b) {
      return new BatchNorm(node, b);
    }
    if (op instanceof Op.Activation a) {
      return new Activation(node, a);
    }
    if (op instanceof Op.Add a) {
      return new Add(node, a);
    }
    if (op instanceof Op.GlobalAvgPool p) {
      return new GlobalAvgPool(node, p);
    }
    if (op instanceof Op.Linear l) {
      return new Linear(node, l);
    }
    throw new IllegalArgumentException("op kind is not supported by the reference backend, was " + op);
  }

  /** A node's forward and backward computation. */
  private interface Kernel {
    void forward(boolean training);

    /** Adds dL/d(input) into the inputs' gradient buffers (when they have one) and parameter gradients. */
    void backward();
  }

  /**
   * Convolution by im2col in double: per sample, {@code col[r][j]} holds the input value under kernel tap
   * {@code r = (ic, kh, kw)} for output pixel {@code j} (0 in the padding), and {@code y[oc][j] = sum_r w[oc][r] *
   * col[r][j]} summed in ascending {@code r}. The backward rebuilds {@code col}: {@code dcol = w^T dy} (ascending
   * {@code oc}) scattered back to dX, and dW summed per fixed group of {@link #GROUP} samples, then over the groups
   * in order, so the summation order never depends on the number of threads.
   */
  private final class Conv implements Kernel {
    private static final int GROUP = 4;
    private final int node;
    private final int in;
    private final String name;
    private final int c;
    private final int h;
    private final int w;
    private final int o;
    private final int oh;
    private final int ow;
    private final int k;
    private final int s;
    private final int p;
    private final int rows;
    private final int cols;
    private final float[] weights;
    private final double[] weightsD;
    private final float[] dWeights;
    private WeightSource source;

    Conv(int node, Op.Conv2d op) {
      this.node = node;
      this.in = op.input();
      this.name = op.name();
      Shape x = graph.shape(in);
      Shape y = graph.shape(node);
      this.c = x.channels();
      this.h = x.height();
      this.w = x.width();
      this.o = op.outChannels();
      this.oh = y.height();
      this.ow = y.width();
      this.k = op.kernel();
      this.s = op.stride();
      this.p = op.padding();
      this.rows = c * k * k;
      this.cols = oh * ow;
      this.weights = new float[o * rows];
      this.weightsD = new double[weights.length];
      this.dWeights = new float[weights.length];
    }

    /** Fills {@code col} ({@code rows x cols}) for sample {@code n} of {@code x}. */
    private void im2col(float[] x, int n, double[] col) {
      for (int ic = 0; ic < c; ic++) {
        int xBase = (n * c + ic) * h * w;
        for (int kh = 0; kh < k; kh++) {
          for (int kw = 0; kw < k; kw++) {
            int rBase = ((ic * k + kh) * k + kw) * cols;
            for (int r = 0; r < oh; r++) {
              int ih = r * s + kh - p;
              int cBase = rBase + r * ow;
              if (ih < 0 || ih >= h) {
                Arrays.fill(col, cBase, cBase + ow, 0.0);
                continue;
              }
              int xRow = xBase + ih * w;
              for (int q = 0; q < ow; q++) {
                int iw = q * s + kw - p;
                col[cBase + q] = iw >= 0 && iw < w ? x[xRow + iw] : 0.0;
              }
            }
          }
        }
      }
    }

    @Override
    public void forward(boolean training) {
      source = model.weightSource(name);
      source.weights(weights);
      for (int i = 0; i < weights.length; i++) {
        weightsD[i] = weights[i];
      }
      float[] x = out[in];
      float[] y = out[node];
      parallel.forRange(batch, (from, to) -> {
        double[] col = new double[rows * cols];
        double[] acc = new double[cols];
        for (int n = from; n < to; n++) {
          im2col(x, n, col);
          for (int oc = 0; oc < o; oc++) {
            Arrays.fill(acc, 0.0);
            int wBase = oc * rows;
            for (int r = 0; r < rows; r++) {
              double wv = weightsD[wBase + r];
              int cBase = r * cols;
              for (int j = 0; j < cols; j++) {
                acc[j] += wv * col[cBase + j];
              }
            }
            int yBase = (n * o + oc) * cols;
            for (int j = 0; j < cols; j++) {
              y[yBase + j] = (float) acc[j];
            }
          }
        }
      });
    }

    @Override
    public void backward() {
      float[] x = out[in];
      float[] gy = grad[node];
      float[] gx = in == 0 ? null : grad[in];
      int groups = (batch + GROUP - 1) / GROUP;
      double[][] partial = new double[groups][];
      parallel.forRange(groups, (from, to) -> {
        double[] col = new double[rows * cols];
        double[] dy = new double[o * cols];
        double[] dyT = new double[o * cols];
        double[] sums = new double[o];
        double[] dcol = gx == null ? null : new double[rows * cols];
        double[] dx = gx == null ? null : new double[c * h * w];
        for (int g = from; g < to; g++) {
          double[] dw = new double[o * rows];
          for (int n = g * GROUP; n < Math.min(batch, (g + 1) * GROUP); n++) {
            im2col(x, n, col);
            int gBase = n * o * cols;
            for (int i = 0; i < dy.length; i++) {
              dy[i] = gy[gBase + i];
            }
            for (int oc = 0; oc < o; oc++) {
              for (int j = 0; j < cols; j++) {
                dyT[j * o + oc] = dy[oc * cols + j];
              }
            }
            // dW[oc][r] += sum_j dy[oc][j] * col[r][j], each sum in ascending j (vectorized over oc)
            for (int r = 0; r < rows; r++) {
              Arrays.fill(sums, 0.0);
              int cBase = r * cols;
              for (int j = 0; j < cols; j++) {
                double cv = col[cBase + j];
                int tBase = j * o;
                for (int oc = 0; oc < o; oc++) {
                  sums[oc] += dyT[tBase + oc] * cv;
                }
              }
              for (int oc = 0; oc < o; oc++) {
                dw[oc * rows + r] += sums[oc];
              }
            }
            if (gx != null) {
              backwardData(n, dy, dcol, dx, gx);
            }
          }
          partial[g] = dw;
        }
      });
      for (int i = 0; i < dWeights.length; i++) {
        double sum = 0;
        for (int g = 0; g < groups; g++) {
          sum += partial[g][i];
        }
        dWeights[i] = (float) sum;
      }
      source.backward(dWeights);
    }

    /** Adds dX of sample {@code n} into {@code gx}: {@code dcol = w^T dy}, then col2im in ascending tap order. */
    private void backwardData(int n, double[] dy, double[] dcol, double[] dx, float[] gx) {
      Arrays.fill(dcol, 0.0);
      for (int oc = 0; oc < o; oc++) {
        int dyBase = oc * cols;
        int wBase = oc * rows;
        for (int r = 0; r < rows; r++) {
          double wv = weightsD[wBase + r];
          int cBase = r * cols;
          for (int j = 0; j < cols; j++) {
            dcol[cBase + j] += wv * dy[dyBase + j];
          }
        }
      }
      Arrays.fill(dx, 0.0);
      for (int ic = 0; ic < c; ic++) {
        int xBase = ic * h * w;
        for (int kh = 0; kh < k; kh++) {
          for (int kw = 0; kw < k; kw++) {
            int rBase = ((ic * k + kh) * k + kw) * cols;
            for (int r = 0; r < oh; r++) {
              int ih = r * s + kh - p;
              if (ih < 0 || ih >= h) {
                continue;
              }
              int xRow = xBase + ih * w;
              int cBase = rBase + r * ow;
              for (int q = 0; q < ow; q++) {
                int iw = q * s + kw - p;
                if (iw >= 0 && iw < w) {
                  dx[xRow + iw] += dcol[cBase + q];
                }
              }
            }
          }
        }
      }
      int gBase = n * c * h * w;
      for (int i = 0; i < dx.length; i++) {
        gx[gBase + i] += (float) dx[i];
      }
    }
  }

  /**
   * Batch norm. The float hyper-parameters are widened through their shortest decimal form ({@code 0.1f -> 0.1},
   * {@code 1e-5f -> 1e-5}) so that the double arithmetic uses the same constants as PyTorch's Python floats.
   */
  private final class BatchNorm implements Kernel {
    private final int node;
    private final int in;
    private final String name;
    private final int c;
    private final int plane;
    private final double eps;
    private final double momentum;
    private final double[] mean;
    private final double[] invStd;

    BatchNorm(int node, Op.BatchNorm op) {
      this.node = node;
      this.in = op.input();
      this.name = op.name();
      Shape x = graph.shape(in);
      this.c = x.channels();
      this.plane = x.height() * x.width();
      this.eps = op.epsDecimal();
      this.momentum = op.momentumDecimal();
      this.mean = new double[c];
      this.invStd = new double[c];
    }

    @Override
    public void forward(boolean training) {
      float[] gamma = store().get(name + ".weight").value();
      float[] beta = store().get(name + ".bias").value();
      float[] runningMean = store().get(name + ".running_mean").value();
      float[] runningVar = store().get(name + ".running_var").value();
      float[] x = out[in];
      float[] y = out[node];
      long count = (long) batch * plane;
      if (training && count < 2) {
        throw new IllegalArgumentException("batch norm '" + name
            + "' needs more than 1 value per channel in training mode, was " + count);
      }
      parallel.forRange(c, (from, to) -> {
        for (int ch = from; ch < to; ch++) {
          double mu;
          double inv;
          if (training) {
            double sum = 0;
            for (int n = 0; n < batch; n++) {
              int base = (n * c + ch) * plane;
              for (int j = 0; j < plane; j++) {
                sum += x[base + j];
              }
            }
            mu = sum / count;
            double sq = 0;
            for (int n = 0; n < batch; n++) {
              int base = (n * c + ch) * plane;
              for (int j = 0; j < plane; j++) {
                double d = x[base + j] - mu;
                sq += d * d;
              }
            }
            double var = sq / count;
            inv = 1.0 / Math.sqrt(var + eps);
            mean[ch] = mu;
            invStd[ch] = inv;
            runningMean[ch] = (float) ((1.0 - momentum) * runningMean[ch] + momentum * mu);
            runningVar[ch] = (float) ((1.0 - momentum) * runningVar[ch] + momentum * (sq / (count - 1)));
          } else {
            mu = runningMean[ch];
            inv = 1.0 / Math.sqrt(runningVar[ch] + eps);
          }
          double g = gamma[ch];
          double b = beta[ch];
          for (int n = 0; n < batch; n++) {
            int base = (n * c + ch) * plane;
            for (int j = 0; j < plane; j++) {
              y[base + j] = (float) ((x[base + j] - mu) * inv * g + b);
            }
          }
        }
      });
    }

    @Override
    public void backward() {
      float[] gamma = store().get(name + ".weight").value();
      float[] dGamma = store().get(name + ".weight").grad();
      float[] dBeta = store().get(name + ".bias").grad();
      float[] x = out[in];
      float[] gy = grad[node];
      float[] gx = grad[in];
      long count = (long) batch * plane;
      parallel.forRange(c, (from, to) -> {
        for (int ch = from; ch < to; ch++) {
          double mu = mean[ch];
          double inv = invStd[ch];
          double sumG = 0;
          double sumGXhat = 0;
          for (int n = 0; n < batch; n++) {
            int base = (n * c + ch) * plane;
            for (int j = 0; j < plane; j++) {
              double g = gy[base + j];
              sumG += g;
              sumGXhat += g * ((x[base + j] - mu) * inv);
            }
          }
          dBeta[ch] += (float) sumG;
          dGamma[ch] += (float) sumGXhat;
          if (gx != null) {
            double scale = gamma[ch] * inv / count;
            for (int n = 0; n < batch; n++) {
              int base = (n * c + ch) * plane;
              for (int j = 0; j < plane; j++) {
                double xhat = (x[base + j] - mu) * inv;
                gx[base + j] += (float) (scale * (count * (double) gy[base + j] - sumG - xhat * sumGXhat));
              }
            }
          }
        }
      });
    }
  }

  /**
   * An activation node: computes {@link Model#activationSpec} of the node at each forward pass (so ReLU6-family
   * nodes can switch spec without recompiling); the backward follows the spec (and PACT clip) of the last forward
   * pass, which backward requires to be a training pass.
   */
  private final class Activation implements Kernel {
    private final int node;
    private final int in;
    private final String alphaName;
    private final String name;
    private MaskPin[] pins = new MaskPin[0];
    private ActivationSpec used;
    private float alphaUsed;

    Activation(int node, Op.Activation op) {
      this.node = node;
      this.in = op.input();
      this.name = op.name();
      this.alphaName = op.name() + ".alpha";
      this.used = model.activationSpec(op.name());
    }

    @Override
    public void forward(boolean training) {
      ActivationSpec spec = model.activationSpec(name);
      used = spec;
      alphaUsed = spec.hasAlpha() ? store().get(alphaName).value()[0] : 0f;
      ActivationKernels.forward(spec, alphaUsed, out[in], out[node], out[node].length);
    }

    void pin(List<MaskPin> list) {
      if (grad[in] == null) {
        throw new IllegalArgumentException("mask pins need an activation whose input has a gradient, " + name
            + " reads the network input");
      }
      if (used.kind() == ActivationSpec.Kind.PACT_QUANT) {
        throw new IllegalArgumentException("mask pins need a clipping activation (relu, relu6, relu6 quantizer), "
            + name + " was " + used.kind());
      }
      for (MaskPin p : list) {
        if (p.index() >= out[in].length) {
          throw new IllegalArgumentException("mask pin index must be < " + out[in].length + " (batch " + batch
              + " x " + graph.shape(in) + ") for " + name + ", was " + p.index());
        }
      }
      pins = list.toArray(new MaskPin[0]);
    }

    @Override
    public void backward() {
      ActivationSpec spec = used;
      if (pins.length > 0 && spec.kind() == ActivationSpec.Kind.PACT_QUANT) {
        throw new IllegalStateException("mask pins need a clipping activation (relu, relu6, relu6 quantizer), "
            + name + " computed " + spec + " in the last forward pass");
      }
      float[] gradIn = grad[in];
      float[] pinned = pins.length == 0 ? null : new float[pins.length];
      for (int k = 0; pinned != null && k < pins.length; k++) {
        pinned[k] = gradIn[pins[k].index()];
      }
      double dAlpha = ActivationKernels.backward(spec, alphaUsed, out[in], grad[node], gradIn, out[node].length);
      if (spec.hasAlpha()) {
        store().get(alphaName).grad()[0] += (float) dAlpha;
      }
      for (int k = 0; pinned != null && k < pins.length; k++) {
        MaskPin p = pins[k];
        float x = out[in][p.index()];
        float upper = spec.kind() == ActivationSpec.Kind.RELU ? Float.POSITIVE_INFINITY : 6f;
        float distance = Math.min(Math.abs(x), Math.abs(x - upper));
        if (!(distance <= p.tolerance())) {
          throw new IllegalStateException("mask pin " + p + " must sit within " + p.tolerance()
              + " of a clipping boundary of " + name + ", its input was " + x);
        }
        gradIn[p.index()] = p.passes() ? pinned[k] + grad[node][p.index()] : pinned[k];
      }
    }
  }

  private final class Add implements Kernel {
    private final int node;
    private final int left;
    private final int right;

    Add(int node, Op.Add op) {
      this.node = node;
      this.left = op.left();
      this.right = op.right();
    }

    @Override
    public void forward(boolean training) {
      float[] a = out[left];
      float[] b = out[right];
      float[] y = out[node];
      for (int i = 0; i < y.length; i++) {
        y[i] = a[i] + b[i];
      }
    }

    @Override
    public void backward() {
      float[] gy = grad[node];
      addInto(grad[left], gy);
      addInto(grad[right], gy);
    }

    private void addInto(float[] dst, float[] src) {
      if (dst != null) {
        for (int i = 0; i < src.length; i++) {
          dst[i] += src[i];
        }
      }
    }
  }

  private final class GlobalAvgPool implements Kernel {
    private final int node;
    private final int in;
    private final int channels;
    private final int plane;

    GlobalAvgPool(int node, Op.GlobalAvgPool op) {
      this.node = node;
      this.in = op.input();
      Shape x = graph.shape(in);
      this.channels = x.channels();
      this.plane = x.height() * x.width();
    }

    @Override
    public void forward(boolean training) {
      HeadKernels.avgPoolForward(out[in], out[node], plane, 0, batch * channels);
    }

    @Override
    public void backward() {
      if (grad[in] != null) {
        HeadKernels.avgPoolBackward(grad[node], grad[in], plane, 0, batch * channels, true);
      }
    }
  }

  private final class Linear implements Kernel {
    private final int node;
    private final int in;
    private final String name;
    private final int inFeatures;
    private final int outFeatures;
    private final float[] weights;
    private final float[] dWeights;
    private WeightSource source;

    Linear(int node, Op.Linear op) {
      this.node = node;
      this.in = op.input();
      this.name = op.name();
      this.inFeatures = graph.shape(in).size();
      this.outFeatures = op.outFeatures();
      this.weights = new float[outFeatures * inFeatures];
      this.dWeights = new float[weights.length];
    }

    @Override
    public void forward(boolean training) {
      source = model.weightSource(name);
      source.weights(weights);
      float[] bias = store().get(name + ".bias").value();
      parallel.forRange(batch, (from, to) ->
          HeadKernels.linearForward(out[in], weights, bias, out[node], inFeatures, outFeatures, from, to));
    }

    @Override
    public void backward() {
      float[] dBias = store().get(name + ".bias").grad();
      parallel.forRange(outFeatures, (from, to) -> HeadKernels.linearParameterGradients(out[in], grad[node],
          dWeights, dBias, batch, inFeatures, outFeatures, from, to));
      float[] gx = grad[in];
      if (gx != null) {
        parallel.forRange(batch, (from, to) ->
            HeadKernels.linearInputGradient(grad[node], weights, gx, inFeatures, outFeatures, from, to, true));
      }
      source.backward(dWeights);
    }
  }
}
