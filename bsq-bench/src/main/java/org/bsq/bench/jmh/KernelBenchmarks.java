package org.bsq.bench.jmh;

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
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_VARIANCE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.SoftmaxCrossEntropy;
import org.bsq.core.engine.onednn.ConvAlgorithm;
import org.bsq.core.engine.onednn.OneDnnBackend;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.models.CifarResNet;
import org.bsq.models.ModelOptions;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.batch_normalization_backward;
import org.bytedeco.dnnl.batch_normalization_forward;
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
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-kernel timings of the oneDNN training engine at the ResNet-20 shapes (batch 128), with the same descriptors
 * the engine builds (blocked layouts picked by oneDNN, direct or auto convolution), plus a whole training step
 * through {@link OneDnnBackend}. Run with {@code OMP_NUM_THREADS} set and nothing else numeric on the machine, e.g.
 * {@code java -cp "$(cat bsq-bench/target/classpath.txt):bsq-bench/target/classes" org.openjdk.jmh.Main KernelBenchmarks}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx4g"})
public class KernelBenchmarks {
  private static final int BATCH = 128;

  /** One conv + BN + ReLU layer of ResNet-20 as oneDNN primitives, created once. */
  @State(Scope.Thread)
  public static class Layer {
    /** {@code inC-outC-size-stride}: the 3x3 convolutions of ResNet-20 (size = input height = width). */
    @Param({"3-16-32-1", "16-16-32-1", "16-32-32-2", "32-32-16-1", "32-64-16-2", "64-64-8-1"})
    public String shape;

    @Param({"DIRECT", "AUTO"})
    public ConvAlgorithm convAlgorithm;

    private final List<Pointer> natives = new ArrayList<>();
    private stream strm;
    private primitive convFwd;
    private primitive convBwdData;
    private primitive convBwdWeights;
    private primitive bnFwd;
    private primitive bnBwd;
    private primitive reluFwd;
    private primitive reluBwd;
    private IntMemoryMap convFwdArgs;
    private IntMemoryMap convBwdDataArgs;
    private IntMemoryMap convBwdWeightsArgs;
    private IntMemoryMap bnFwdArgs;
    private IntMemoryMap bnBwdArgs;
    private IntMemoryMap reluFwdArgs;
    private IntMemoryMap reluBwdArgs;

    @Setup(Level.Trial)
    public void setUp() {
      String[] p = shape.split("-");
      int inC = Integer.parseInt(p[0]);
      int outC = Integer.parseInt(p[1]);
      int size = Integer.parseInt(p[2]);
      int stride = Integer.parseInt(p[3]);
      int outSize = (size + 2 - 3) / stride + 1;
      OneDnnBackend.availability();  // applies BSQ_CPU_ISA before this benchmark's own primitives fix oneDNN's ISA
      engine eng = keep(new engine(engine.kind.cpu, 0));
      strm = keep(new stream(eng));
      // the layer's input in the layout the previous conv picks (plain NCHW for the 3-channel stem)
      memory.desc srcAny = desc(new long[] {BATCH, inC, size, size}, memory.format_tag.any);
      memory.desc src = inC == 3 ? desc(new long[] {BATCH, inC, size, size}, memory.format_tag.nchw)
          : keep(keep(new convolution_forward.primitive_desc(keep(new convolution_forward.desc(
              prop_kind.forward_training, algorithm.convolution_direct, srcAny,
              desc(new long[] {inC, inC, 3, 3}, memory.format_tag.any), srcAny, new long[] {1, 1},
              new long[] {1, 1}, new long[] {1, 1})), eng)).dst_desc());
      memory.desc wAny = desc(new long[] {outC, inC, 3, 3}, memory.format_tag.any);
      memory.desc dstAny = desc(new long[] {BATCH, outC, outSize, outSize}, memory.format_tag.any);
      algorithm alg = convAlgorithm == ConvAlgorithm.DIRECT ? algorithm.convolution_direct : algorithm.convolution_auto;
      algorithm bdAlg = convAlgorithm == ConvAlgorithm.AUTO ? algorithm.convolution_auto : algorithm.convolution_direct;
      long[] s = {stride, stride};
      long[] pad = {1, 1};
      convolution_forward.primitive_desc fpd = keep(new convolution_forward.primitive_desc(keep(
          new convolution_forward.desc(prop_kind.forward_training, alg, src, wAny, dstAny, s, pad, pad)), eng));
      memory.desc dst = keep(fpd.dst_desc());
      memory x = mem(src, eng);
      memory dx = mem(src, eng);
      memory w = mem(keep(fpd.weights_desc()), eng);
      memory y = mem(dst, eng);
      memory dy = mem(dst, eng);
      convFwd = keep(new convolution_forward(fpd));
      convFwdArgs = args(DNNL_ARG_SRC, x, DNNL_ARG_WEIGHTS, w, DNNL_ARG_DST, y);
      convolution_backward_data.primitive_desc bdpd = keep(new convolution_backward_data.primitive_desc(keep(
          new convolution_backward_data.desc(bdAlg, src, wAny, dst, s, pad, pad)), eng, fpd));
      convBwdData = keep(new convolution_backward_data(bdpd));
      convBwdDataArgs = args(DNNL_ARG_DIFF_DST, dy, DNNL_ARG_WEIGHTS, mem(keep(bdpd.weights_desc()), eng),
          DNNL_ARG_DIFF_SRC, dx);
      convolution_backward_weights.primitive_desc bwpd = keep(new convolution_backward_weights.primitive_desc(keep(
          new convolution_backward_weights.desc(alg, src, wAny, dst, s, pad, pad)), eng, fpd));
      convBwdWeights = keep(new convolution_backward_weights(bwpd));
      convBwdWeightsArgs = args(DNNL_ARG_SRC, x, DNNL_ARG_DIFF_DST, dy, DNNL_ARG_DIFF_WEIGHTS,
          mem(keep(bwpd.diff_weights_desc()), eng));

      int flags = normalization_flags.use_scale.value | normalization_flags.use_shift.value;
      batch_normalization_forward.primitive_desc bfpd = keep(new batch_normalization_forward.primitive_desc(keep(
          new batch_normalization_forward.desc(prop_kind.forward_training.value, dst, 1e-5f, flags)), eng));
      memory.desc c = desc(new long[] {outC}, memory.format_tag.x);
      memory scale = mem(c, eng);
      memory shift = mem(c, eng);
      memory mean = mem(keep(bfpd.mean_desc()), eng);
      memory var = mem(keep(bfpd.variance_desc()), eng);
      memory bnOut = mem(dst, eng);
      memory dBn = mem(dst, eng);
      bnFwd = keep(new batch_normalization_forward(bfpd));
      bnFwdArgs = args(DNNL_ARG_SRC, y, DNNL_ARG_DST, bnOut, DNNL_ARG_SCALE, scale, DNNL_ARG_SHIFT, shift,
          DNNL_ARG_MEAN, mean, DNNL_ARG_VARIANCE, var);
      batch_normalization_backward.primitive_desc bbpd = keep(new batch_normalization_backward.primitive_desc(keep(
          new batch_normalization_backward.desc(prop_kind.backward.value, dst, dst, 1e-5f, flags)), eng, bfpd));
      bnBwd = keep(new batch_normalization_backward(bbpd));
      bnBwdArgs = args(DNNL_ARG_SRC, y, DNNL_ARG_MEAN, mean, DNNL_ARG_VARIANCE, var, DNNL_ARG_DIFF_DST, dBn,
          DNNL_ARG_SCALE, scale, DNNL_ARG_SHIFT, shift, DNNL_ARG_DIFF_SRC, dy, DNNL_ARG_DIFF_SCALE, mem(c, eng),
          DNNL_ARG_DIFF_SHIFT, mem(c, eng));
      eltwise_forward.primitive_desc efpd = keep(new eltwise_forward.primitive_desc(keep(new eltwise_forward.desc(
          prop_kind.forward_training, algorithm.eltwise_relu, dst, 0f, 0f)), eng));
      memory act = mem(dst, eng);
      reluFwd = keep(new eltwise_forward(efpd));
      reluFwdArgs = args(DNNL_ARG_SRC, bnOut, DNNL_ARG_DST, act);
      eltwise_backward.primitive_desc ebpd = keep(new eltwise_backward.primitive_desc(keep(new eltwise_backward.desc(
          algorithm.eltwise_relu, dst, dst, 0f, 0f)), eng, efpd));
      reluBwd = keep(new eltwise_backward(ebpd));
      reluBwdArgs = args(DNNL_ARG_SRC, bnOut, DNNL_ARG_DIFF_DST, mem(dst, eng), DNNL_ARG_DIFF_SRC, dBn);

      // well-defined inputs: random activations and weights, unit BN scale
      fill(x, 1);
      fill(w, 2);
      fill(y, 3);
      fill(dy, 4);
      fill(dBn, 5);
      fill(scale, 6);
      fill(shift, 7);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (int i = natives.size() - 1; i >= 0; i--) {
        natives.get(i).close();
      }
      natives.clear();
    }

    void run(primitive p, IntMemoryMap a) {
      p.execute(strm, a);
      strm._wait();
    }

    private <T extends Pointer> T keep(T p) {
      natives.add(p);
      return p;
    }

    private memory.desc desc(long[] dims, memory.format_tag tag) {
      return keep(new memory.desc(dims, memory.data_type.f32, tag));
    }

    private memory mem(memory.desc d, engine eng) { return keep(new memory(d, eng)); }

    private IntMemoryMap args(Object... pairs) {
      IntMemoryMap m = keep(new IntMemoryMap());
      for (int k = 0; k < pairs.length; k += 2) {
        m.put((Integer) pairs[k], (memory) pairs[k + 1]);
      }
      return m;
    }

    private void fill(memory m, long seed) {
      memory.desc d = keep(m.get_desc());
      int n = (int) (d.get_size() / Float.BYTES);
      float[] v = new float[n];
      Random r = new Random(seed);
      for (int i = 0; i < n; i++) {
        v[i] = (float) (r.nextGaussian() * 0.5);
      }
      new org.bytedeco.javacpp.FloatPointer(m.get_data_handle()).put(v, 0, n);
    }
  }

  @Benchmark
  public void convForward(Layer l) { l.run(l.convFwd, l.convFwdArgs); }

  @Benchmark
  public void convBackwardData(Layer l) { l.run(l.convBwdData, l.convBwdDataArgs); }

  @Benchmark
  public void convBackwardWeights(Layer l) { l.run(l.convBwdWeights, l.convBwdWeightsArgs); }

  @Benchmark
  public void batchNormForward(Layer l) { l.run(l.bnFwd, l.bnFwdArgs); }

  @Benchmark
  public void batchNormBackward(Layer l) { l.run(l.bnBwd, l.bnBwdArgs); }

  @Benchmark
  public void reluForward(Layer l) { l.run(l.reluFwd, l.reluFwdArgs); }

  @Benchmark
  public void reluBackward(Layer l) { l.run(l.reluBwd, l.reluBwdArgs); }

  /** A whole ResNet-20 training step (batch 128) through the backend: forward, softmax-CE, backward, plain SGD. */
  @State(Scope.Thread)
  public static class Step {
    @Param({"DIRECT", "AUTO"})
    public ConvAlgorithm convAlgorithm;

    /** Block activation: {@code relu} (float training) or {@code q4} (ReLU6 + 4-bit quantizer, Java kernels). */
    @Param({"relu", "q4"})
    public String activation;

    Model model;
    CompiledNetwork net;
    float[] input;
    int[] labels;
    float[] gradient;

    @Setup(Level.Trial)
    public void setUp() {
      ModelOptions options = ModelOptions.cifar10();
      if (activation.equals("q4")) {
        options = options.withBlockActivation(ActivationSpec.quantized(4));
      }
      model = Model.withZeroParameters(CifarResNet.build(20, options));
      Random r = new Random(1);
      for (Parameter p : model.parameters().all()) {
        float[] v = p.value();
        boolean one = p.role() == ParameterRole.BN_WEIGHT || p.name().endsWith(".running_var")
            || p.role() == ParameterRole.ACTIVATION_CLIP;
        for (int i = 0; i < v.length; i++) {
          v[i] = one ? 1f : (float) (r.nextGaussian() * 0.1);
        }
      }
      net = new OneDnnBackend(convAlgorithm).compile(model, BATCH);
      input = new float[BATCH * model.graph().inputShape().size()];
      for (int i = 0; i < input.length; i++) {
        input[i] = (float) r.nextGaussian();
      }
      labels = new int[BATCH];
      for (int i = 0; i < BATCH; i++) {
        labels[i] = r.nextInt(model.graph().numClasses());
      }
      gradient = new float[BATCH * model.graph().numClasses()];
    }

    @TearDown(Level.Trial)
    public void tearDown() { net.close(); }
  }

  /** The same network's eval-mode forward pass (batch 128): isolates the forward kernels, e.g. the quantizers. */
  @Benchmark
  public float[] evalForward(Step s) {
    return s.net.forward(s.input, false);
  }

  @Benchmark
  public double trainingStep(Step s) {
    s.model.parameters().zeroGradients();
    float[] logits = s.net.forward(s.input, true);
    double loss = SoftmaxCrossEntropy.lossAndGradient(logits, s.labels, BATCH, s.model.graph().numClasses(),
        s.gradient);
    s.net.backward(s.gradient);
    for (Parameter p : s.model.parameters().trainable()) {
      float[] v = p.value();
      float[] g = p.grad();
      for (int i = 0; i < v.length; i++) {
        v[i] -= 0.01f * g[i];
      }
    }
    return loss;
  }
}
