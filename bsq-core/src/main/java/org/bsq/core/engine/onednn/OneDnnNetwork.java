package org.bsq.core.engine.onednn;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_MEAN;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_0;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_1;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_VARIANCE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import java.util.ArrayList;
import java.util.List;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.HeadKernels;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.Op;
import org.bsq.core.graph.Shape;
import org.bsq.core.param.Parameter;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.batch_normalization_backward;
import org.bytedeco.dnnl.batch_normalization_forward;
import org.bytedeco.dnnl.binary;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.eltwise_backward;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.global.dnnl.normalization_flags;
import org.bytedeco.dnnl.global.dnnl.prop_kind;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A model compiled into oneDNN primitives for one batch size (see {@link OneDnnBackend}).
 *
 * <p>Layout: node 0 (the input) is plain NCHW; every convolution picks its output layout ({@code format_tag.any},
 * typically nChw8c/nChw16c) and batch norm, eltwise, add and the quantized activations keep their input's layout;
 * the Java head ops (global average pooling, linear) use plain NCHW. Gradients use the same layout as the forward
 * value of their node. Each node's gradient is assembled from its consumers in reverse topological order: the first
 * primitive that writes a gradient writes it in place, later ones write to a scratch buffer that a reorder with a
 * sum post-op adds in; pass-through contributions (the residual add, the Java ops, the logits) are deferred copies,
 * and a node whose only contribution is such a copy in the same layout aliases the source buffer instead.
 *
 * <p>Activation nodes of the ReLU6 family compute {@link Model#activationSpec} of the current forward pass (RELU6,
 * RELU6_QUANT or PACT_QUANT, chosen at run time); plain ReLU nodes stay ReLU.
 */
final class OneDnnNetwork implements CompiledNetwork {
  private final Model model;
  private final Graph graph;
  private final int batch;
  /** Every native object created, released in reverse order by {@link #close()}. */
  private final List<Pointer> natives = new ArrayList<>();
  private final engine eng;
  private final stream strm;

  private final memory.desc[] desc;
  private final memory[] out;
  private final memory[] grad;
  private final Kernel[] kernels;
  private final List<Runnable> backwardSteps = new ArrayList<>();

  // gradient assembly state, used only while compiling
  private final boolean[] written;
  private final List<List<memory>> pending = new ArrayList<>();
  private final List<memory> scratch = new ArrayList<>();

  private final FloatPointer inputPtr;
  private final int inputSize;
  private final Runnable logitsReorder;
  private final FloatPointer logitsPtr;
  private final float[] logits;
  private final FloatPointer logitsGradPtr;

  /** Shared heap staging arrays of the Java element-wise kernels. */
  private float[] stageA = new float[0];
  private float[] stageB = new float[0];

  private boolean trainedForward;
  private boolean closed;

  OneDnnNetwork(Model model, int batchSize, ConvAlgorithm convAlgorithm) {
    this.model = model;
    this.graph = model.graph();
    this.batch = batchSize;
    int nodes = graph.size();
    this.desc = new memory.desc[nodes];
    this.out = new memory[nodes];
    this.grad = new memory[nodes];
    this.kernels = new Kernel[nodes];
    this.written = new boolean[nodes];
    for (int i = 0; i < nodes; i++) {
      pending.add(new ArrayList<>());
    }
    boolean ok = false;
    try {
      this.eng = keep(new engine(engine.kind.cpu, 0));
      this.strm = keep(new stream(eng));

      Shape in = graph.inputShape();
      desc[0] = plain(in);
      out[0] = newMemory(desc[0]);
      inputSize = batch * in.size();
      inputPtr = floats(out[0]);

      for (int i = 1; i < nodes; i++) {
        kernels[i] = compileNode(i, graph.op(i), convAlgorithm);
      }

      int last = graph.outputNode();
      Shape outShape = graph.shape(last);
      memory.desc logitsDesc = plain(outShape);
      logits = new float[batch * outShape.size()];
      if (desc[last].equals(logitsDesc)) {
        logitsReorder = null;
        logitsPtr = floats(out[last]);
      } else {
        memory plainLogits = newMemory(logitsDesc);
        logitsReorder = reorderStep(out[last], plainLogits, false);
        logitsPtr = floats(plainLogits);
      }
      memory logitsGrad = newMemory(logitsDesc);
      logitsGradPtr = floats(logitsGrad);
      pending.get(last).add(logitsGrad);

      for (int i = last; i >= 1; i--) {
        finalizeGradient(i);
        kernels[i].planBackward();
      }
      ok = true;
    } finally {
      if (!ok) {
        releaseNatives();
      }
    }
  }

  private Kernel compileNode(int i, Op op, ConvAlgorithm convAlgorithm) {
    if (op instanceof Op.Conv2d c) {
      return new Conv(i, c, convAlgorithm);
    } else if (op instanceof Op.BatchNorm b) {
      return new BatchNorm(i, b);
    } else if (op instanceof Op.Activation a) {
      return a.spec().kind() == ActivationSpec.Kind.RELU ? new Relu(i, a) : new Relu6Family(i, a);
    } else if (op instanceof Op.Add a) {
      return new Add(i, a);
    } else if (op instanceof Op.GlobalAvgPool p) {
      return new AvgPool(i, p);
    } else if (op instanceof Op.Linear l) {
      return new Linear(i, l);
    }
    throw new IllegalArgumentException("op at node " + i + " must be a layer op (input only at node 0), was " + op);
  }

  @Override
  public Model model() { return model; }

  @Override
  public int batchSize() { return batch; }

  @Override
  public float[] forward(float[] input, boolean training) {
    checkOpen();
    if (input == null || input.length != inputSize) {
      throw new IllegalArgumentException("input must hold batchSize x " + graph.inputShape() + " = " + inputSize
          + " floats, was " + (input == null ? "null" : input.length));
    }
    trainedForward = false;
    inputPtr.put(input, 0, inputSize);
    for (int i = 1; i < kernels.length; i++) {
      kernels[i].forward(training);
    }
    if (logitsReorder != null) {
      logitsReorder.run();
    }
    logitsPtr.get(logits, 0, logits.length);
    trainedForward = training;
    return logits;
  }

  @Override
  public void backward(float[] logitsGradient) {
    checkOpen();
    if (!trainedForward) {
      throw new IllegalStateException("backward needs a training-mode forward pass first, was "
          + "called after an evaluation-mode pass or none");
    }
    if (logitsGradient == null || logitsGradient.length != logits.length) {
      throw new IllegalArgumentException("logits gradient must hold " + logits.length + " floats, was "
          + (logitsGradient == null ? "null" : logitsGradient.length));
    }
    logitsGradPtr.put(logitsGradient, 0, logits.length);
    for (Runnable step : backwardSteps) {
      step.run();
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      releaseNatives();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("compiled network of '" + graph.name() + "' is closed");
    }
  }

  private void releaseNatives() {
    for (int i = natives.size() - 1; i >= 0; i--) {
      natives.get(i).close();
    }
    natives.clear();
    stageA = new float[0];
    stageB = new float[0];
  }

  // ---------------------------------------------------------------- native helpers

  private <T extends Pointer> T keep(T p) {
    if (p == null || p.isNull()) {
      throw new IllegalStateException("oneDNN returned a null object");
    }
    natives.add(p);
    return p;
  }

  private memory.desc plain(Shape s) {
    return keep(new memory.desc(new long[] {batch, s.channels(), s.height(), s.width()}, memory.data_type.f32,
        memory.format_tag.nchw));
  }

  private memory.desc tagged(long[] dims, memory.format_tag tag) {
    return keep(new memory.desc(dims, memory.data_type.f32, tag));
  }

  private memory newMemory(memory.desc d) {
    return keep(new memory(d, eng));
  }

  private memory zeroedMemory(memory.desc d) {
    memory m = newMemory(d);
    Pointer.memset(m.get_data_handle(), 0, d.get_size());
    return m;
  }

  private memory.desc descOf(memory m) { return keep(m.get_desc()); }

  /** A float view of a memory's whole buffer (padding included). */
  private FloatPointer floats(memory m) {
    long n = descOf(m).get_size() / Float.BYTES;
    FloatPointer p = new FloatPointer(m.get_data_handle());
    p.capacity(n);
    p.limit(n);
    return p;
  }

  private static int floatCount(memory.desc d) { return Math.toIntExact(d.get_size() / Float.BYTES); }

  private IntMemoryMap args(Object... pairs) {
    IntMemoryMap map = keep(new IntMemoryMap());
    for (int k = 0; k < pairs.length; k += 2) {
      map.put((Integer) pairs[k], (memory) pairs[k + 1]);
    }
    return map;
  }

  private Runnable exec(primitive p, IntMemoryMap args) {
    keep(p);
    stream s = strm;
    return () -> {
      p.execute(s, args);
      s._wait();
    };
  }

  /** A reorder from {@code src} into {@code dst} (any layouts), adding into dst when {@code accumulate}. */
  private Runnable reorderStep(memory src, memory dst, boolean accumulate) {
    reorder.primitive_desc pd;
    if (accumulate) {
      post_ops po = keep(new post_ops());
      po.append_sum(1f, memory.data_type.undef);
      primitive_attr attr = keep(new primitive_attr());
      attr.set_post_ops(po);
      pd = keep(new reorder.primitive_desc(eng, descOf(src), eng, descOf(dst), attr, false));
    } else {
      pd = keep(new reorder.primitive_desc(eng, descOf(src), eng, descOf(dst)));
    }
    return exec(new reorder(pd), args(DNNL_ARG_SRC, src, DNNL_ARG_DST, dst));
  }

  private float[] stageA(int n) {
    if (stageA.length < n) {
      stageA = new float[n];
    }
    return stageA;
  }

  private float[] stageB(int n) {
    if (stageB.length < n) {
      stageB = new float[n];
    }
    return stageB;
  }

  // ---------------------------------------------------------------- gradient assembly (compile time)

  /** Where a primitive writes its contribution to node j's gradient, and what to run after it. */
  private record Target(memory mem, Runnable after) {
    void addTo(List<Runnable> steps) {
      if (after != null) {
        steps.add(after);
      }
    }
  }

  /** Plans a contribution to node j's gradient that a primitive (or Java kernel) writes in j's layout. */
  private Target writeTarget(int j) {
    if (!written[j]) {
      written[j] = true;
      grad[j] = newMemory(desc[j]);
      return new Target(grad[j], null);
    }
    memory s = null;
    for (memory m : scratch) {
      if (descOf(m).equals(desc[j])) {
        s = m;
        break;
      }
    }
    if (s == null) {
      s = newMemory(desc[j]);
      scratch.add(s);
    }
    return new Target(s, reorderStep(s, grad[j], true));
  }

  /** Plans a pass-through contribution: node j's gradient gets {@code src} (which stays valid) added. */
  private void contributeCopy(int j, memory src) { pending.get(j).add(src); }

  /** Completes node i's gradient before its own backward is planned (all its consumers are planned). */
  private void finalizeGradient(int i) {
    List<memory> p = pending.get(i);
    if (!written[i]) {
      if (p.isEmpty()) {
        grad[i] = zeroedMemory(desc[i]); // a dead end: no consumer, not the output
        written[i] = true;
        return;
      }
      if (p.size() == 1 && descOf(p.get(0)).equals(desc[i])) {
        grad[i] = p.get(0);
        written[i] = true;
        return;
      }
      grad[i] = newMemory(desc[i]);
      backwardSteps.add(reorderStep(p.get(0), grad[i], false));
      written[i] = true;
      for (int k = 1; k < p.size(); k++) {
        backwardSteps.add(reorderStep(p.get(k), grad[i], true));
      }
    } else {
      for (memory m : p) {
        backwardSteps.add(reorderStep(m, grad[i], true));
      }
    }
  }

  private Parameter param(String name) { return model.parameters().get(name); }

  private static void addInto(float[] dst, float[] src, int n) {
    for (int k = 0; k < n; k++) {
      dst[k] += src[k];
    }
  }

  // ---------------------------------------------------------------- kernels

  /** One compiled node. */
  private interface Kernel {
    void forward(boolean training);

    /** Appends this node's backward steps; its own gradient {@code grad[node]} is final when called. */
    void planBackward();
  }

  private final class Conv implements Kernel {
    private final int node;
    private final int in;
    private final Op.Conv2d op;
    private final ConvAlgorithm algo;
    private final long[] strides;
    private final long[] pad;
    private final memory.desc wAny;
    private final convolution_forward.primitive_desc fpd;
    private final memory.desc wPlainDesc;
    private final memory wPlain;
    private final FloatPointer wPlainPtr;
    private final float[] wHeap;
    private final memory wFwd;
    private final Runnable wFwdReorder;
    private final Runnable fwd;
    private WeightSource usedSource;

    Conv(int node, Op.Conv2d op, ConvAlgorithm algo) {
      this.node = node;
      this.op = op;
      this.in = op.input();
      this.algo = algo;
      Shape s = graph.shape(node);
      int inC = graph.shape(in).channels();
      int k = op.kernel();
      strides = new long[] {op.stride(), op.stride()};
      pad = new long[] {op.padding(), op.padding()};
      long[] wDims = {op.outChannels(), inC, k, k};
      wAny = tagged(wDims, memory.format_tag.any);
      memory.desc dstAny = tagged(new long[] {batch, s.channels(), s.height(), s.width()}, memory.format_tag.any);
      algorithm fwdAlg = algo == ConvAlgorithm.DIRECT ? algorithm.convolution_direct : algorithm.convolution_auto;
      convolution_forward.desc fd = keep(new convolution_forward.desc(prop_kind.forward_training, fwdAlg, desc[in],
          wAny, dstAny, strides, pad, pad));
      fpd = keep(new convolution_forward.primitive_desc(fd, eng));
      desc[node] = keep(fpd.dst_desc());
      out[node] = newMemory(desc[node]);
      wPlainDesc = tagged(wDims, memory.format_tag.oihw);
      wPlain = newMemory(wPlainDesc);
      wPlainPtr = floats(wPlain);
      wHeap = new float[op.outChannels() * inC * k * k];
      memory.desc wFwdDesc = keep(fpd.weights_desc());
      if (wFwdDesc.equals(wPlainDesc)) {
        wFwd = wPlain;
        wFwdReorder = null;
      } else {
        wFwd = newMemory(wFwdDesc);
        wFwdReorder = reorderStep(wPlain, wFwd, false);
      }
      fwd = exec(new convolution_forward(fpd), args(DNNL_ARG_SRC, out[in], DNNL_ARG_WEIGHTS, wFwd,
          DNNL_ARG_DST, out[node]));
    }

    @Override
    public void forward(boolean training) {
      usedSource = model.weightSource(op.name());
      usedSource.weights(wHeap);
      wPlainPtr.put(wHeap, 0, wHeap.length);
      if (wFwdReorder != null) {
        wFwdReorder.run();
      }
      fwd.run();
    }

    @Override
    public void planBackward() {
      if (in != 0) {
        algorithm bdAlg = algo == ConvAlgorithm.AUTO ? algorithm.convolution_auto : algorithm.convolution_direct;
        convolution_backward_data.desc bd = keep(new convolution_backward_data.desc(bdAlg, desc[in], wAny,
            desc[node], strides, pad, pad));
        convolution_backward_data.primitive_desc bpd = keep(new convolution_backward_data.primitive_desc(bd, eng,
            fpd));
        memory.desc wBwdDesc = keep(bpd.weights_desc());
        memory wBwd;
        if (wBwdDesc.equals(descOf(wFwd))) {
          wBwd = wFwd;
        } else if (wBwdDesc.equals(wPlainDesc)) {
          wBwd = wPlain;
        } else {
          wBwd = newMemory(wBwdDesc);
          backwardSteps.add(reorderStep(wPlain, wBwd, false));
        }
        Target t = writeTarget(in);
        backwardSteps.add(exec(new convolution_backward_data(bpd), args(DNNL_ARG_DIFF_DST, grad[node],
            DNNL_ARG_WEIGHTS, wBwd, DNNL_ARG_DIFF_SRC, t.mem())));
        t.addTo(backwardSteps);
      }
      algorithm bwAlg = algo == ConvAlgorithm.DIRECT ? algorithm.convolution_direct : algorithm.convolution_auto;
      convolution_backward_weights.desc wd = keep(new convolution_backward_weights.desc(bwAlg, desc[in], wAny,
          desc[node], strides, pad, pad));
      convolution_backward_weights.primitive_desc wpd = keep(new convolution_backward_weights.primitive_desc(wd,
          eng, fpd));
      memory bwSrc = out[in];
      memory bwDiffDst = grad[node];
      if (wpd.impl_info_str().getString().startsWith("ref")) {
        // With the chain's layouts oneDNN has only its reference kernel (seen for a 1-channel input: 358 ms per call
        // at batch 128, 28x28). Let it choose the layouts it has a fast kernel for, and reorder into them.
        Shape is = graph.shape(in);
        Shape os = graph.shape(node);
        convolution_backward_weights.desc anyDesc = keep(new convolution_backward_weights.desc(bwAlg,
            tagged(new long[] {batch, is.channels(), is.height(), is.width()}, memory.format_tag.any), wAny,
            tagged(new long[] {batch, os.channels(), os.height(), os.width()}, memory.format_tag.any), strides, pad,
            pad));
        convolution_backward_weights.primitive_desc anyPd = keep(new convolution_backward_weights.primitive_desc(
            anyDesc, eng, fpd));
        if (!anyPd.impl_info_str().getString().startsWith("ref")) {
          wpd = anyPd;
          if (!wpd.src_desc().equals(desc[in])) {
            bwSrc = newMemory(keep(wpd.src_desc()));
            backwardSteps.add(reorderStep(out[in], bwSrc, false));
          }
          if (!wpd.diff_dst_desc().equals(desc[node])) {
            bwDiffDst = newMemory(keep(wpd.diff_dst_desc()));
            backwardSteps.add(reorderStep(grad[node], bwDiffDst, false));
          }
        }
      }
      memory.desc dwDesc = keep(wpd.diff_weights_desc());
      memory dwPlain = newMemory(wPlainDesc);
      memory dw = dwDesc.equals(wPlainDesc) ? dwPlain : newMemory(dwDesc);
      backwardSteps.add(exec(new convolution_backward_weights(wpd), args(DNNL_ARG_SRC, bwSrc,
          DNNL_ARG_DIFF_DST, bwDiffDst, DNNL_ARG_DIFF_WEIGHTS, dw)));
      if (dw != dwPlain) {
        backwardSteps.add(reorderStep(dw, dwPlain, false));
      }
      FloatPointer dwPtr = floats(dwPlain);
      float[] dwHeap = new float[wHeap.length];
      backwardSteps.add(() -> {
        dwPtr.get(dwHeap, 0, dwHeap.length);
        usedSource.backward(dwHeap);
      });
    }
  }

  private final class BatchNorm implements Kernel {
    private final int node;
    private final Op.BatchNorm op;
    private final int channels;
    private final long count;
    private final batch_normalization_forward.primitive_desc fpd;
    private final FloatPointer scalePtr;
    private final FloatPointer shiftPtr;
    private final FloatPointer meanPtr;
    private final FloatPointer varPtr;
    private final FloatPointer runMeanPtr;
    private final FloatPointer runVarPtr;
    private final memory scale;
    private final memory shift;
    private final memory mean;
    private final memory var;
    private final Runnable fwdTrain;
    private final Runnable fwdEval;
    private final float[] stat;
    /** The momentum's decimal value (0.1, not 0.1f), like the reference backend. */
    private final double momentum;

    BatchNorm(int node, Op.BatchNorm op) {
      this.momentum = op.momentumDecimal();
      this.node = node;
      this.op = op;
      Shape s = graph.shape(node);
      channels = s.channels();
      count = (long) batch * s.height() * s.width();
      int in = op.input();
      int flags = normalization_flags.use_scale.value | normalization_flags.use_shift.value;
      fpd = keep(new batch_normalization_forward.primitive_desc(keep(new batch_normalization_forward.desc(
          prop_kind.forward_training.value, desc[in], op.eps(), flags)), eng));
      desc[node] = keep(fpd.dst_desc());
      out[node] = newMemory(desc[node]);
      memory.desc cDesc = tagged(new long[] {channels}, memory.format_tag.x);
      scale = newMemory(cDesc);
      shift = newMemory(cDesc);
      mean = newMemory(keep(fpd.mean_desc()));
      var = newMemory(keep(fpd.variance_desc()));
      scalePtr = floats(scale);
      shiftPtr = floats(shift);
      meanPtr = floats(mean);
      varPtr = floats(var);
      fwdTrain = exec(new batch_normalization_forward(fpd), args(DNNL_ARG_SRC, out[in], DNNL_ARG_DST, out[node],
          DNNL_ARG_SCALE, scale, DNNL_ARG_SHIFT, shift, DNNL_ARG_MEAN, mean, DNNL_ARG_VARIANCE, var));

      batch_normalization_forward.primitive_desc ipd = keep(new batch_normalization_forward.primitive_desc(
          keep(new batch_normalization_forward.desc(prop_kind.forward_inference.value, desc[in], op.eps(),
              flags | normalization_flags.use_global_stats.value)), eng));
      memory runMean = newMemory(keep(ipd.mean_desc()));
      memory runVar = newMemory(keep(ipd.variance_desc()));
      runMeanPtr = floats(runMean);
      runVarPtr = floats(runVar);
      fwdEval = exec(new batch_normalization_forward(ipd), args(DNNL_ARG_SRC, out[in], DNNL_ARG_DST, out[node],
          DNNL_ARG_SCALE, scale, DNNL_ARG_SHIFT, shift, DNNL_ARG_MEAN, runMean, DNNL_ARG_VARIANCE, runVar));
      stat = new float[channels];
    }

    @Override
    public void forward(boolean training) {
      scalePtr.put(param(op.name() + ".weight").value(), 0, channels);
      shiftPtr.put(param(op.name() + ".bias").value(), 0, channels);
      float[] rm = param(op.name() + ".running_mean").value();
      float[] rv = param(op.name() + ".running_var").value();
      if (!training) {
        runMeanPtr.put(rm, 0, channels);
        runVarPtr.put(rv, 0, channels);
        fwdEval.run();
        return;
      }
      if (count < 2) {
        throw new IllegalStateException("batch norm '" + op.name() + "' needs more than 1 value per channel in "
            + "training, was " + count);
      }
      fwdTrain.run();
      // PyTorch: running = (1 - m) * running + m * batch_stat, with the unbiased variance; in double
      double m = momentum;
      meanPtr.get(stat, 0, channels);
      for (int c = 0; c < channels; c++) {
        rm[c] = (float) ((1.0 - m) * rm[c] + m * stat[c]);
      }
      varPtr.get(stat, 0, channels);
      double unbias = (double) count / (count - 1);
      for (int c = 0; c < channels; c++) {
        rv[c] = (float) ((1.0 - m) * rv[c] + m * (stat[c] * unbias));
      }
    }

    @Override
    public void planBackward() {
      int in = op.input();
      int flags = normalization_flags.use_scale.value | normalization_flags.use_shift.value;
      batch_normalization_backward.primitive_desc bpd = keep(new batch_normalization_backward.primitive_desc(
          keep(new batch_normalization_backward.desc(prop_kind.backward.value, desc[node], desc[in], op.eps(),
              flags)), eng, fpd));
      memory.desc cDesc = tagged(new long[] {channels}, memory.format_tag.x);
      memory dScale = newMemory(cDesc);
      memory dShift = newMemory(cDesc);
      Target t = writeTarget(in);
      backwardSteps.add(exec(new batch_normalization_backward(bpd), args(DNNL_ARG_SRC, out[in], DNNL_ARG_MEAN, mean,
          DNNL_ARG_VARIANCE, var, DNNL_ARG_DIFF_DST, grad[node], DNNL_ARG_SCALE, scale, DNNL_ARG_SHIFT, shift,
          DNNL_ARG_DIFF_SRC, t.mem(), DNNL_ARG_DIFF_SCALE, dScale, DNNL_ARG_DIFF_SHIFT, dShift)));
      t.addTo(backwardSteps);
      FloatPointer dScalePtr = floats(dScale);
      FloatPointer dShiftPtr = floats(dShift);
      float[] tmp = new float[channels];
      backwardSteps.add(() -> {
        dScalePtr.get(tmp, 0, channels);
        addInto(param(op.name() + ".weight").grad(), tmp, channels);
        dShiftPtr.get(tmp, 0, channels);
        addInto(param(op.name() + ".bias").grad(), tmp, channels);
      });
    }
  }

  /** Plain ReLU as a oneDNN eltwise primitive, forward and backward. */
  private final class Relu implements Kernel {
    private final int node;
    private final int in;
    private final eltwise_forward.primitive_desc fpd;
    private final Runnable fwd;

    Relu(int node, Op.Activation op) {
      this.node = node;
      this.in = op.input();
      fpd = keep(new eltwise_forward.primitive_desc(keep(new eltwise_forward.desc(prop_kind.forward_training,
          algorithm.eltwise_relu, desc[in], 0f, 0f)), eng));
      desc[node] = keep(fpd.dst_desc());
      out[node] = newMemory(desc[node]);
      fwd = exec(new eltwise_forward(fpd), args(DNNL_ARG_SRC, out[in], DNNL_ARG_DST, out[node]));
    }

    @Override
    public void forward(boolean training) { fwd.run(); }

    @Override
    public void planBackward() {
      eltwise_backward.primitive_desc bpd = keep(new eltwise_backward.primitive_desc(keep(new eltwise_backward.desc(
          algorithm.eltwise_relu, desc[node], desc[in], 0f, 0f)), eng, fpd));
      Target t = writeTarget(in);
      backwardSteps.add(exec(new eltwise_backward(bpd), args(DNNL_ARG_SRC, out[in], DNNL_ARG_DIFF_DST, grad[node],
          DNNL_ARG_DIFF_SRC, t.mem())));
      t.addTo(backwardSteps);
    }
  }

  /**
   * A node of the ReLU6 family, which computes what {@link Model#activationSpec} says at each forward pass (so a
   * node can switch among these without recompiling; the backward follows the spec of the last forward pass, which
   * backward requires to be a training pass):
   * <ul>
   *   <li>RELU6: the oneDNN clip_v2 eltwise primitive (gradient where 0 < x < 6, like PyTorch's ReLU6 / hardtanh),
   *   forward and backward;</li>
   *   <li>RELU6_QUANT: a Java forward over a heap copy of the input ({@link QuantKernels#relu6}, which also gives
   *   {@code S = max |y|}, then {@link QuantKernels#quantizeNonNegative}) and the clip_v2 backward on the native
   *   buffers (the quantizer is straight-through). Tried and dropped for that forward: see docs/decisions/0001 (the
   *   whole quantizer as oneDNN primitives needs true divisions and reference-only binary post-ops; streaming, two
   *   Java threads and a pooled maximum were no faster);</li>
   *   <li>PACT_QUANT: Java loops over heap copies of the native buffers (layout-agnostic), reading the clip
   *   {@code <node>.alpha} from the store at each forward pass and adding dL/dalpha to its gradient.</li>
   * </ul>
   */
  private final class Relu6Family implements Kernel {
    private final int node;
    private final int in;
    private final String name;
    private final String alphaName;
    private final eltwise_forward.primitive_desc fpd;
    private final Runnable fwd;
    private final int size;
    private final FloatPointer xPtr;
    private final FloatPointer yPtr;
    /** The spec of the last forward pass, and PACT's clip then. */
    private ActivationSpec used;
    private float alphaUsed;

    Relu6Family(int node, Op.Activation op) {
      this.node = node;
      this.in = op.input();
      this.name = op.name();
      this.alphaName = op.name() + ".alpha";
      fpd = keep(new eltwise_forward.primitive_desc(keep(new eltwise_forward.desc(prop_kind.forward_training,
          algorithm.eltwise_clip_v2, desc[in], 0f, 6f)), eng));
      desc[node] = keep(fpd.dst_desc());
      out[node] = newMemory(desc[node]);
      fwd = exec(new eltwise_forward(fpd), args(DNNL_ARG_SRC, out[in], DNNL_ARG_DST, out[node]));
      size = floatCount(desc[node]);
      xPtr = floats(out[in]);
      yPtr = floats(out[node]);
    }

    @Override
    public void forward(boolean training) {
      ActivationSpec spec = model.activationSpec(name);
      used = spec;
      switch (spec.kind()) {
        case RELU6 -> fwd.run();
        case RELU6_QUANT -> {
          float[] x = stageA(size);
          float[] y = stageB(size);
          xPtr.get(x, 0, size);
          float max = QuantKernels.relu6(x, y, size);
          QuantKernels.quantizeNonNegative(y, size, max, spec.bits());
          yPtr.put(y, 0, size);
        }
        case PACT_QUANT -> {
          float[] x = stageA(size);
          float[] y = stageB(size);
          xPtr.get(x, 0, size);
          alphaUsed = param(alphaName).value()[0];
          float max = QuantKernels.pact(x, y, size, alphaUsed);
          QuantKernels.quantizeNonNegative(y, size, max, spec.bits());
          yPtr.put(y, 0, size);
        }
        default -> throw new IllegalStateException("activation node '" + name + "' of the ReLU6 family cannot compute "
            + spec);
      }
    }

    @Override
    public void planBackward() {
      eltwise_backward.primitive_desc bpd = keep(new eltwise_backward.primitive_desc(keep(new eltwise_backward.desc(
          algorithm.eltwise_clip_v2, desc[node], desc[in], 0f, 6f)), eng, fpd));
      Target t = writeTarget(in);
      Runnable clipBackward = exec(new eltwise_backward(bpd), args(DNNL_ARG_SRC, out[in], DNNL_ARG_DIFF_DST,
          grad[node], DNNL_ARG_DIFF_SRC, t.mem()));
      FloatPointer gPtr = floats(grad[node]);
      FloatPointer dxPtr = floats(t.mem());
      backwardSteps.add(() -> {
        if (used.kind() != ActivationSpec.Kind.PACT_QUANT) {
          clipBackward.run();
          return;
        }
        float[] x = stageA(size);
        float[] g = stageB(size);
        xPtr.get(x, 0, size);
        gPtr.get(g, 0, size);
        double dAlpha = QuantKernels.pactBackward(x, g, size, alphaUsed);
        param(alphaName).grad()[0] += (float) dAlpha;
        dxPtr.put(g, 0, size);
      });
      t.addTo(backwardSteps);
    }
  }

  private final class Add implements Kernel {
    private final int node;
    private final Op.Add op;
    private final Runnable fwd;

    Add(int node, Op.Add op) {
      this.node = node;
      this.op = op;
      binary.primitive_desc pd = keep(new binary.primitive_desc(keep(new binary.desc(algorithm.binary_add,
          desc[op.left()], desc[op.right()], desc[op.left()])), eng));
      desc[node] = keep(pd.dst_desc());
      out[node] = newMemory(desc[node]);
      fwd = exec(new binary(pd), args(DNNL_ARG_SRC_0, out[op.left()], DNNL_ARG_SRC_1, out[op.right()],
          DNNL_ARG_DST, out[node]));
    }

    @Override
    public void forward(boolean training) { fwd.run(); }

    @Override
    public void planBackward() {
      contributeCopy(op.left(), grad[node]);
      contributeCopy(op.right(), grad[node]);
    }
  }

  /** Base of the Java head ops: plain NCHW input copy in, plain output. */
  private abstract class JavaOp implements Kernel {
    final int node;
    final int in;
    final int inSize;
    final int outSize;
    final Runnable inReorder;
    final FloatPointer inPtr;
    final FloatPointer outPtr;
    final float[] x;
    final float[] y;

    JavaOp(int node, int in) {
      this.node = node;
      this.in = in;
      memory.desc inPlain = plain(graph.shape(in));
      if (desc[in].equals(inPlain)) {
        inReorder = null;
        inPtr = floats(out[in]);
      } else {
        memory m = newMemory(inPlain);
        inReorder = reorderStep(out[in], m, false);
        inPtr = floats(m);
      }
      desc[node] = plain(graph.shape(node));
      out[node] = newMemory(desc[node]);
      outPtr = floats(out[node]);
      inSize = batch * graph.shape(in).size();
      outSize = batch * graph.shape(node).size();
      x = new float[inSize];
      y = new float[outSize];
    }

    @Override
    public void forward(boolean training) {
      if (inReorder != null) {
        inReorder.run();
      }
      inPtr.get(x, 0, inSize);
      compute();
      outPtr.put(y, 0, outSize);
    }

    abstract void compute();

    /** Computes dL/dinput into {@code dx} from dL/doutput {@code g} (and the forward input {@code x}). */
    abstract void computeBackward(float[] g, float[] dx);

    @Override
    public void planBackward() {
      memory dxPlain = newMemory(plain(graph.shape(in)));
      FloatPointer dxPtr = floats(dxPlain);
      FloatPointer gPtr = floats(grad[node]);
      float[] g = new float[outSize];
      float[] dx = new float[inSize];
      backwardSteps.add(() -> {
        gPtr.get(g, 0, outSize);
        computeBackward(g, dx);
        dxPtr.put(dx, 0, inSize);
      });
      contributeCopy(in, dxPlain);
    }
  }

  private final class AvgPool extends JavaOp {
    private final int channels;
    private final int area;

    AvgPool(int node, Op.GlobalAvgPool op) {
      super(node, op.input());
      Shape s = graph.shape(op.input());
      channels = s.channels();
      area = s.height() * s.width();
    }

    @Override
    void compute() {
      HeadKernels.avgPoolForward(x, y, area, 0, batch * channels);
    }

    @Override
    void computeBackward(float[] g, float[] dx) {
      HeadKernels.avgPoolBackward(g, dx, area, 0, batch * channels, false);
    }
  }

  private final class Linear extends JavaOp {
    private final Op.Linear op;
    private final int inFeatures;
    private final int outFeatures;
    private final float[] w;
    private final float[] dw;
    private WeightSource usedSource;

    Linear(int node, Op.Linear op) {
      super(node, op.input());
      this.op = op;
      inFeatures = graph.shape(op.input()).size();
      outFeatures = op.outFeatures();
      w = new float[outFeatures * inFeatures];
      dw = new float[outFeatures * inFeatures];
    }

    @Override
    void compute() {
      usedSource = model.weightSource(op.name());
      usedSource.weights(w);
      HeadKernels.linearForward(x, w, param(op.name() + ".bias").value(), y, inFeatures, outFeatures, 0, batch);
    }

    @Override
    void computeBackward(float[] g, float[] dx) {
      HeadKernels.linearParameterGradients(x, g, dw, param(op.name() + ".bias").grad(), batch, inFeatures,
          outFeatures, 0, outFeatures);
      HeadKernels.linearInputGradient(g, w, dx, inFeatures, outFeatures, 0, batch, false);
      usedSource.backward(dw);
    }
  }
}
