package org.bsq.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.bsq.core.bsq.BitLassoRegularizer;
import org.bsq.core.bsq.BitPlaneWeightSource;
import org.bsq.core.bsq.BitRepresentation;
import org.bsq.core.bsq.PlaneClampHook;
import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Backends;
import org.bsq.core.engine.CompiledNetwork;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.SoftmaxCrossEntropy;
import org.bsq.core.engine.WeightSource;
import org.bsq.core.graph.Shape;
import org.bsq.core.json.Json;
import org.bsq.core.train.Initializers;
import org.bsq.core.train.SgdOptimizer;
import org.bsq.core.train.SgdSettings;
import org.bsq.core.train.StepContext;
import org.bsq.data.Augmentation;
import org.bsq.data.DataLoader;
import org.bsq.data.DataSet;
import org.bsq.data.DataSets;
import org.bsq.data.LabeledImages;
import org.bsq.data.Normalization;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bsq bench train-step}: times full training steps (data, forward, backward, SGD update) and inference, and
 * reports medians, images/s and peak memory. Run it on an idle machine (two numeric processes on 2 cores slow each
 * other 8-30x) and compare with {@code ../shared/tools/pytorch_resnet20_step.py} run right before or after.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks. train-step: median ms per full training step (data, forward, backward, update) and "
        + "inference images/s.")
final class BenchCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "WHAT", description = "What to benchmark: train-step, or search (one search "
      + "candidate's evaluation and pricing against the plain way; needs --data-dir).")
  String what;

  @Option(names = "--candidates", defaultValue = "10", description = "search: timed candidates (default: "
      + "${DEFAULT-VALUE}).")
  int candidates;

  @Option(names = "--samples", defaultValue = "2000", description = "search: validation images per candidate "
      + "(default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--accelerator", defaultValue = "bitfusion-e", description = "search: the preset pricing the "
      + "latency objective (default: ${DEFAULT-VALUE}).")
  String accelerator;

  @Option(names = "--weights", paramLabel = "DIR", description = "search: pretrained weights (raw float32 + "
      + "manifest.json); default: seeded initialization.")
  Path weights;

  @Option(names = "--model", defaultValue = "resnet20", description = "Model (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--batch", defaultValue = "128", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--steps", defaultValue = "30", description = "Timed training steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--warmup", defaultValue = "5", description = "Untimed warm-up steps (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--infer-batches", defaultValue = "20", description = "Timed inference batches (default: ${DEFAULT-VALUE}).")
  int inferBatches;

  @Option(names = "--backend", defaultValue = "auto", description = "onednn, reference or auto (default: ${DEFAULT-VALUE}).")
  String backend;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Use real CIFAR-10 from DIR; default: seeded random 32x32 RGB images through the same pipeline.")
  Path dataDir;

  @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
  boolean json;

  @Option(names = "--strategy", defaultValue = "float", description = "float: plain float training step (ReLU "
      + "blocks, SGD with Nesterov); bsq: one full BSQ training step (every counted layer in 8 bit planes, 4-bit "
      + "ReLU6 activations in the blocks, group-Lasso regularizer and [0, 2] clamp included; SGD as the BSQ reference) "
      + "with the share of the bit-plane work (default: ${DEFAULT-VALUE}).")
  String strategy;

  @Override
  public Integer call() {
    if ("search".equals(what)) {
      ModelDataOptions.checkModelName(model);
      ModelDataOptions.checkBackendName(backend);
      if (candidates < 1 || samples < 1 || batch < 2) {
        throw new UsageException("--candidates and --samples must be >= 1 and --batch >= 2, was " + candidates + ", "
            + samples + ", " + batch);
      }
      return SearchBench.run(spec.commandLine().getOut(), model, dataDir, weights, backend, batch, candidates, samples,
          accelerator, seed, json);
    }
    if (!"train-step".equals(what)) {
      throw new UsageException("bench: WHAT must be one of [train-step, search], was '" + what + "'");
    }
    ModelDataOptions.checkModelName(model);
    ModelDataOptions.checkBackendName(backend);
    if (!List.of("float", "bsq").contains(strategy)) {
      throw new UsageException("--strategy must be one of [float, bsq], was '" + strategy + "'");
    }
    if (batch < 2 || steps < 1 || warmup < 0 || inferBatches < 1) {
      throw new UsageException("--batch must be >= 2, --steps and --infer-batches >= 1, --warmup >= 0; was batch=" + batch
          + " steps=" + steps + " warmup=" + warmup + " infer-batches=" + inferBatches);
    }
    PrintWriter out = spec.commandLine().getOut();
    DataLoader loader = loader();
    boolean bsq = "bsq".equals(strategy);
    Model m = ModelDataOptions.newModel(model, new Shape(loader.channels(), loader.height(), loader.width()),
        loader.numClasses(), bsq ? "relu6" : "relu", bsq ? 4 : 0);
    Initializers.initialize(m, seed);
    Backend engine = Backends.byName(backend);
    SgdOptimizer sgd = new SgdOptimizer(bsq ? SgdSettings.bsq(0.1) : SgdSettings.of(0.1, 0.9, 1e-4).withNesterov(true));
    BitPlaneWork planes = bsq ? new BitPlaneWork(m) : null;
    double[] planeMs = new double[steps];
    double[][] partMs = new double[4][steps];
    int classes = loader.numClasses();
    float[] grad = new float[batch * classes];
    double[] stepMs = new double[steps];
    double[] inferMs = new double[inferBatches];
    double firstLoss = Double.NaN;
    double lastLoss = Double.NaN;
    long firstStepNanos = 0;
    try (CompiledNetwork net = engine.compile(m, batch)) {
      int epoch = 0;
      BatchIterator it = loader.epoch(epoch);
      try {
        for (int s = 0; s < warmup + steps; s++) {
          long t0 = System.nanoTime();
          if (!it.hasNext()) {
            it.close();
            it = loader.epoch(++epoch);
          }
          Batch b = it.next();
          m.parameters().zeroGradients();
          if (planes != null) {
            planes.reset();
          }
          float[] logits = net.forward(b.images(), true);
          double loss = SoftmaxCrossEntropy.lossAndGradient(logits, b.labels(), b.size(), classes, grad);
          net.backward(grad);
          if (planes != null) {
            loss += planes.regularize(s, b.size());
          }
          sgd.step(m.parameters());
          if (planes != null) {
            planes.clamp(s, b.size());
          }
          long t1 = System.nanoTime();
          if (planes != null && s >= warmup) {
            planeMs[s - warmup] = planes.nanos() / 1e6;
            long[] parts = {planes.reconstructNanos, planes.backwardNanos, planes.regularizerNanos, planes.clampNanos};
            for (int k = 0; k < parts.length; k++) {
              partMs[k][s - warmup] = parts[k] / 1e6;
            }
          }
          if (s == 0) {
            firstStepNanos = t1 - t0;
            firstLoss = loss;
          }
          if (s >= warmup) {
            stepMs[s - warmup] = (t1 - t0) / 1e6;
          }
          lastLoss = loss;
          if (!Double.isFinite(loss)) {
            throw new IllegalStateException("loss must stay finite during the benchmark, was " + loss + " at step " + s);
          }
        }
        BatchIterator test = loader.epoch(epoch + 1);
        Batch b = test.next();
        float[] x = Arrays.copyOf(b.images(), b.images().length);
        test.close();
        for (int w = 0; w < 3; w++) {
          net.forward(x, false);
        }
        for (int i = 0; i < inferBatches; i++) {
          long t0 = System.nanoTime();
          net.forward(x, false);
          inferMs[i] = (System.nanoTime() - t0) / 1e6;
        }
      } finally {
        it.close();
      }
    }
    double median = median(stepMs);
    double p10 = percentile(stepMs, 0.1);
    double p90 = percentile(stepMs, 0.9);
    double imagesPerSecond = batch * 1000 / median;
    double inferMedian = median(inferMs);
    double inferImagesPerSecond = batch * 1000 / inferMedian;
    double firstStepMs = firstStepNanos / 1e6;
    String ompThreads = System.getenv().getOrDefault("OMP_NUM_THREADS", "unset");
    double planeMedian = planes != null ? median(planeMs) : Double.NaN;
    double[] partMedians = new double[partMs.length];
    if (planes != null) {
      for (int k = 0; k < partMs.length; k++) {
        partMedians[k] = median(partMs[k]);
      }
    }
    long peakRss = peakRssBytes();
    out.printf("bench train-step: %s, batch %d, backend %s, strategy %s, OMP_NUM_THREADS=%s, data: %s%n", model, batch,
        Backends.describe(engine), strategy, ompThreads, loader.description());
    out.printf("  training step (data + forward + backward + SGD), %d steps after %d warm-up: median %.1f ms "
            + "(p10 %.1f, p90 %.1f, mean %.1f) = %.0f images/s%n", steps, warmup, median, p10, p90, mean(stepMs),
        imagesPerSecond);
    if (planes != null) {
      out.printf("  BSQ: %d layers x 8 bit planes, 4-bit block activations; bit-plane work (reconstruction + its backward"
              + " + regularizer + clamp) median %.1f ms = %.1f %% of the step (medians: reconstruction %.1f, backward"
              + " %.1f, regularizer %.1f, clamp %.1f ms)%n", planes.layers(), planeMedian, 100 * planeMedian / median,
          partMedians[0], partMedians[1], partMedians[2], partMedians[3]);
    }
    out.printf("  first step (includes kernel set-up): %.0f ms; loss %.3f -> %.3f%n", firstStepMs, firstLoss,
        lastLoss);
    out.printf("  inference (eval forward), %d batches: median %.1f ms per batch = %.0f images/s%n", inferBatches,
        inferMedian, inferImagesPerSecond);
    out.printf("  peak resident memory: %.2f GB%n", peakRss / 1e9);
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("bench", "train-step");
      o.put("model", model);
      o.put("strategy", strategy);
      o.put("batch", batch);
      o.put("backend", engine.name());
      o.put("cpuIsa", org.bsq.core.provenance.Provenance.cpuIsa(engine.name()));
      o.put("ompThreads", ompThreads);
      o.put("data", loader.description());
      o.put("steps", steps);
      o.put("warmup", warmup);
      o.put("msPerStepMedian", median);
      o.put("msPerStepP10", p10);
      o.put("msPerStepP90", p90);
      o.put("msPerStep", stepMs);
      o.put("imagesPerSecond", imagesPerSecond);
      o.put("inferenceMsPerBatchMedian", inferMedian);
      o.put("inferenceImagesPerSecond", inferImagesPerSecond);
      o.put("firstStepMs", firstStepMs);
      if (planes != null) {
        o.put("bitPlaneMsMedian", planeMedian);
        o.put("bitPlaneShareOfStep", planeMedian / median);
        o.put("bitPlaneMs", planeMs);
        o.put("bitPlaneReconstructionMsMedian", partMedians[0]);
        o.put("bitPlaneBackwardMsMedian", partMedians[1]);
        o.put("bitPlaneRegularizerMsMedian", partMedians[2]);
        o.put("bitPlaneClampMsMedian", partMedians[3]);
      }
      o.put("peakRssBytes", peakRss);
      o.put("cpu", org.bsq.core.provenance.Provenance.cpuModel());
      out.println(Json.line(o));
    }
    out.flush();
    return 0;
  }

  private DataLoader loader() {
    if (dataDir != null) {
      DataSet data = DataSets.load(DataSets.CIFAR10, dataDir);
      return DataLoader.builder(data.train(), batch).shuffle(true).augmentation(Augmentation.CIFAR10)
          .normalization(Normalization.CIFAR10).seed(seed).limit(batch * 16).name("cifar10/train").build();
    }
    int n = batch * 8;
    byte[] pixels = new byte[n * 3 * 32 * 32];
    byte[] labels = new byte[n];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) r.nextInt(256);
    }
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) r.nextInt(10);
    }
    LabeledImages images = new LabeledImages(pixels, labels, new Shape(3, 32, 32),
        List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), "random", "seeded random RGB images");
    return DataLoader.builder(images, batch).shuffle(true).augmentation(Augmentation.CIFAR10)
        .normalization(Normalization.CIFAR10).seed(seed).name("random-32x32-rgb").build();
  }

  /**
   * BSQ's bit-plane work inside a step, timed: every counted layer in 8 bit planes (the weight sources are wrapped to
   * time reconstruction and the straight-through backward), the group-Lasso regularizer (alpha 5e-3) and the [0, 2]
   * clamp of the planes.
   */
  private static final class BitPlaneWork {
    private final Model model;
    private final BitRepresentation bits;
    private final BitLassoRegularizer regularizer;
    private final PlaneClampHook clamp;
    long reconstructNanos;
    long backwardNanos;
    long regularizerNanos;
    long clampNanos;

    BitPlaneWork(Model model) {
      this.model = model;
      this.bits = BitRepresentation.install(model, 8);
      this.regularizer = new BitLassoRegularizer(bits, 5e-3);
      this.clamp = new PlaneClampHook(bits, PlaneClampHook.Mode.BIT_PLANES);
      for (BitPlaneWeightSource s : bits.layers()) {
        model.setWeightSource(s.layer(), new WeightSource() {
          @Override
          public void weights(float[] dst) {
            long t = System.nanoTime();
            s.weights(dst);
            reconstructNanos += System.nanoTime() - t;
          }

          @Override
          public void backward(float[] gradient) {
            long t = System.nanoTime();
            s.backward(gradient);
            backwardNanos += System.nanoTime() - t;
          }
        });
      }
    }

    int layers() { return bits.layers().size(); }

    void reset() {
      reconstructNanos = 0;
      backwardNanos = 0;
      regularizerNanos = 0;
      clampNanos = 0;
    }

    double regularize(int step, int batchSize) {
      long t = System.nanoTime();
      double v = regularizer.addValueAndGradients(new StepContext(model, 0, step, 1, step, batchSize, 0.1));
      regularizerNanos += System.nanoTime() - t;
      return v;
    }

    void clamp(int step, int batchSize) {
      long t = System.nanoTime();
      clamp.afterStep(new StepContext(model, 0, step, 1, step, batchSize, 0.1));
      clampNanos += System.nanoTime() - t;
    }

    long nanos() { return reconstructNanos + backwardNanos + regularizerNanos + clampNanos; }
  }

  static double median(double[] v) {
    return percentile(v, 0.5);
  }

  static double percentile(double[] v, double q) {
    double[] s = v.clone();
    Arrays.sort(s);
    double pos = q * (s.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = (int) Math.ceil(pos);
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
  }

  static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(Double.NaN);
  }

  /** Peak resident set size of this process (VmHWM), or -1 where /proc is not available. */
  static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

}
