package org.bsq.bench.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bsq.core.engine.Backend;
import org.bsq.core.engine.Backends;
import org.bsq.core.engine.Model;
import org.bsq.core.export.LayerWeights;
import org.bsq.core.export.OnnxExport;
import org.bsq.core.export.QuantizedNetwork;
import org.bsq.core.export.RawExport;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.graph.Graph;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.graph.Op;
import org.bsq.core.graph.Shape;
import org.bsq.core.harness.Harness;
import org.bsq.core.json.Json;
import org.bsq.core.param.Parameter;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.train.CompiledNetworks;
import org.bsq.core.train.Initializers;
import org.bsq.models.ModelOptions;
import org.bsq.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX and raw export of ResNet-20 under a mixed scheme (every weight bit-width from pruned to 16 bits and full
 * precision, ReLU6 and PACT activation quantizers from 1 to 16 bits and unquantized), checked against the engine's
 * quantized evaluation: the ONNX file in ONNX Runtime, the raw export by reading it back into a model.
 */
public class OnnxExportTest {
  static final int BATCH = 16;
  /** Weight bits cycled over the layers in model order (projection shortcuts stay at full precision). */
  static final int[] WEIGHT_BITS = {8, 1, 2, 3, 4, 5, 6, 7, 0, 16, 32, 4};
  /** Activation bits cycled over the activation sites (0: the graph's 4-bit spec; 32: unquantized ReLU6). */
  static final int[] ACT_BITS = {4, 2, 32, 3, 8, 1, 16, 0, 6};

  @TempDir
  Path tmp;

  static Model resnet20(String activation, int actBits) {
    Graph g = Models.create("resnet20", new ModelOptions(new Shape(3, 32, 32), 10,
        ModelOptions.blockActivation(activation, actBits)));
    Model m = Model.withZeroParameters(g);
    Initializers.initialize(m, 42);
    SplittableRandom r = new SplittableRandom(7);
    for (Op op : g.ops()) { // non-trivial batch-norm statistics and affine parameters
      if (op instanceof Op.BatchNorm b) {
        fill(m, b.name() + ".running_mean", () -> (float) (r.nextDouble() - 0.5) * 0.2f);
        fill(m, b.name() + ".running_var", () -> (float) (0.5 + r.nextDouble()));
        fill(m, b.name() + ".weight", () -> (float) (0.6 + 0.8 * r.nextDouble()));
        fill(m, b.name() + ".bias", () -> (float) (r.nextDouble() * 0.2));
      }
    }
    return m;
  }

  private static void fill(Model m, String name, java.util.function.Supplier<Float> f) {
    float[] v = m.parameters().get(name).value();
    for (int i = 0; i < v.length; i++) {
      v[i] = f.get();
    }
  }

  /** The mixed scheme: weight bits cycled over the layers, activation bits cycled over the sites. */
  static QuantizationScheme mixedScheme(Graph g) {
    LayerInventory inv = LayerInventory.of(g);
    org.bsq.core.engine.ActivationSites sites = org.bsq.core.engine.ActivationSites.of(g);
    List<String> siteOrder = sites.sites();
    List<LayerPrecision> out = new ArrayList<>();
    int i = 0;
    for (LayerInfo l : inv) {
      if (l.projectionShortcut()) {
        out.add(LayerPrecision.full(l.name()));
        continue;
      }
      int w = WEIGHT_BITS[i++ % WEIGHT_BITS.length];
      int a = sites.siteOf(l.name()).map(s -> ACT_BITS[siteOrder.indexOf(s) % ACT_BITS.length]).orElse(4);
      out.add(LayerPrecision.of(l.name(), w, a));
    }
    return new QuantizationScheme(out);
  }

  /** The model under the mixed scheme, with PACT clip levels that clip (the default 10 would not). */
  static Model mixedModel() {
    Model m = resnet20("relu6", 4);
    Harness.installFixedScheme(m, mixedScheme(m.graph()));
    for (Parameter p : m.parameters().all()) {
      if (p.name().endsWith(".alpha")) {
        p.value()[0] = 1.25f;
      }
    }
    return m;
  }

  static float[] images(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * 3 * 32 * 32];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble() * 4 - 2);
    }
    return x;
  }

  public static float[] engineLogits(Model m, String backend, float[] x, int n) {
    Backend b = Backends.byName(backend);
    try (CompiledNetworks nets = new CompiledNetworks(b, m)) {
      return nets.forBatchSize(n).forward(nets.input(n, x), false).clone();
    }
  }

  public static float[] ortLogits(byte[] onnx, float[] x, int n, Shape in) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(1);
      try (OrtSession s = env.createSession(onnx, so);
           OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
               new long[] {n, in.channels(), in.height(), in.width()});
           OrtSession.Result r = s.run(Map.of("input", t))) {
        float[][] logits = (float[][]) r.get("logits").orElseThrow().getValue();
        float[] flat = new float[n * logits[0].length];
        for (int i = 0; i < n; i++) {
          System.arraycopy(logits[i], 0, flat, i * logits[i].length, logits[i].length);
        }
        return flat;
      }
    }
  }

  /** Per sample, the largest |a - b| over its logits. */
  public static double[] perSample(float[] a, float[] b, int n) {
    int c = a.length / n;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < c; k++) {
        out[i] = Math.max(out[i], Math.abs((double) a[i * c + k] - b[i * c + k]));
      }
    }
    return out;
  }

  public static String summary(float[] a, float[] b, int n) {
    double[] d = perSample(a, b, n);
    java.util.Arrays.sort(d);
    long over = java.util.Arrays.stream(d).filter(v -> v > 1e-4).count();
    return String.format("max %.3g, median %.3g, samples over 1e-4: %d of %d", d[n - 1], d[n / 2], over, n);
  }

  public static double maxAbsDiff(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs((double) a[i] - b[i]));
    }
    return d;
  }

  /** The largest |logit| of a batch (the scale the tolerances below are relative to). */
  public static double scale(float[] logits) {
    return maxAbsDiff(logits, new float[logits.length]);
  }

  /** How many samples have all their logits within {@code tolerance} in both. */
  public static int closeSamples(float[] a, float[] b, int n, double tolerance) {
    return (int) java.util.Arrays.stream(perSample(a, b, n)).filter(d -> d <= tolerance).count();
  }

  /** How many samples have the same top-1 class in both. */
  public static int top1Agreement(float[] a, float[] b, int n) {
    int c = a.length / n;
    int same = 0;
    for (int i = 0; i < n; i++) {
      int ia = 0;
      int ib = 0;
      for (int k = 1; k < c; k++) {
        ia = a[i * c + k] > a[i * c + ia] ? k : ia;
        ib = b[i * c + k] > b[i * c + ib] ? k : ib;
      }
      same += ia == ib ? 1 : 0;
    }
    return same;
  }

  /**
   * The activation quantizers alone (input -> quantizer -> pooling -> float classifier): the exported composition
   * computes the engine's quantized activations bit for bit, so the logits differ only by the float32 summation
   * order of the pooling and the classifier (~1e-7). One activation level more or less in a channel would move a
   * logit by {@code S / (2^k - 1) / 64 * |w|} (>= 1e-4 here), so 1e-5 detects any quantizer that rounds differently
   * (e.g. a QuantizeLinear/DequantizeLinear pair). Also covers S = 0 (an all-negative batch) and PACT's clip.
   */
  @Test
  void activationQuantizersAreExactInOnnxRuntime() throws Exception {
    List<ActivationSpec> specs = List.of(ActivationSpec.relu(), ActivationSpec.relu6(),
        new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 4), new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 8),
        new ActivationSpec(ActivationSpec.Kind.RELU6_QUANT, 16), new ActivationSpec(ActivationSpec.Kind.PACT_QUANT, 1),
        new ActivationSpec(ActivationSpec.Kind.PACT_QUANT, 2), new ActivationSpec(ActivationSpec.Kind.PACT_QUANT, 3));
    int n = 8;
    SplittableRandom r = new SplittableRandom(3);
    float[] x = new float[n * 2 * 8 * 8];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble() * 10 - 2); // below 0, inside [0, 6] and above 6
    }
    float[] negative = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      negative[i] = -Math.abs(x[i]) - 0.5f;
    }
    for (ActivationSpec spec : specs) {
      org.bsq.core.graph.GraphBuilder gb = new org.bsq.core.graph.GraphBuilder("quantizer", 2, 8, 8);
      int a = gb.activation("act", gb.input(), spec);
      gb.linear("fc", gb.globalAvgPool(a), 3);
      Model m = Model.withZeroParameters(gb.build());
      Initializers.initialize(m, 5);
      if (spec.hasAlpha()) {
        m.parameters().get("act.alpha").value()[0] = 1.5f;
      }
      QuantizationScheme q = QuantizationScheme.of(LayerPrecision.full("fc"));
      byte[] onnx = OnnxExport.toBytes(QuantizedNetwork.of(m, q), OnnxExport.Options.defaults());
      for (float[] in : List.of(x, negative)) {
        float[] engine = engineLogits(m, "reference", in, n);
        float[] ort = ortLogits(onnx, in, n, m.graph().inputShape());
        assertTrue(maxAbsDiff(engine, ort) <= 1e-5, spec + ": max |ort - engine| " + maxAbsDiff(engine, ort));
      }
    }
  }

  /**
   * ResNet-20 with weights at every bit-width (pruned, 1..8 bits as int8 or int32 levels, 16 bits, float layers) and
   * unquantized ReLU6 activations: no rounding after the weights, so ONNX Runtime and the engine differ only by
   * float32 summation orders (conv, batch norm, pooling). Measured 1.2e-6 (3e-7 of the largest logit); the tolerance
   * is 1e-4 of the largest logit, far below what a wrong stride, padding, batch norm or scale would give (order 1).
   */
  @Test
  void resnet20WithQuantizedWeightsMatchesTheEngineToFloatPrecision() throws Exception {
    Model m = resnet20("relu6", 0);
    List<LayerPrecision> layers = new ArrayList<>();
    int i = 0;
    for (LayerPrecision p : mixedScheme(m.graph()).layers()) {
      layers.add(new LayerPrecision(p.layer(), p.weights(), org.bsq.core.quant.Precision.FULL));
    }
    QuantizationScheme q = new QuantizationScheme(layers);
    Harness.installFixedScheme(m, q);
    QuantizedNetwork net = QuantizedNetwork.of(m, q);
    assertTrue(net.activations().values().stream().noneMatch(ActivationSpec::isQuantized), "" + net.activations());
    byte[] onnx = OnnxExport.toBytes(net, OnnxExport.Options.defaults());
    float[] x = images(BATCH, 1);
    float[] engine = engineLogits(m, "reference", x, BATCH);
    float[] ort = ortLogits(onnx, x, BATCH, m.graph().inputShape());
    System.out.println("resnet20, quantized weights, float activations: ort vs engine " + summary(ort, engine, BATCH));
    assertTrue(maxAbsDiff(engine, ort) <= 1e-4 * scale(engine), summary(ort, engine, BATCH));
  }

  /**
   * ResNet-20 under the mixed scheme, activation quantizers included. The engine's quantizer rounds
   * {@code x * step / S} with S the batch maximum; a float32 difference of one unit in the last place in a conv output
   * (summation order) moves an activation that sits that close to a rounding boundary by a whole level
   * ({@code S / (2^k - 1)}, 0.4 at 4 bits for S = 6), which later quantizers may amplify; the engine's own two
   * backends differ the same way (decision 0016: up to 7 % of the largest logit on single samples). So: at least 12
   * of 16 samples (those without a flip; 15 measured) agree to float precision, within 1e-4 of the largest logit (a
   * wrong operator, padding, scale or quantizer moves every sample); top-1 the same on at least 14 of 16; and, as a
   * sanity bound (NaN, gross errors), no sample off by more than half the largest logit (2.2 % measured here, 10 %
   * at most anywhere).
   */
  @Test
  void resnet20UnderAMixedSchemeRunsInOnnxRuntimeAndMatchesTheEngine() throws Exception {
    Model m = mixedModel();
    QuantizedNetwork net = QuantizedNetwork.of(m, mixedScheme(m.graph()));
    assertTrue(net.activations().values().stream().anyMatch(s -> s.kind() == ActivationSpec.Kind.PACT_QUANT));
    byte[] onnx = OnnxExport.toBytes(net, OnnxExport.Options.defaults());
    float[] x = images(BATCH, 1);
    float[] engine = engineLogits(m, "reference", x, BATCH);
    float[] ort = ortLogits(onnx, x, BATCH, m.graph().inputShape());
    System.out.println("resnet20, mixed scheme: ort vs engine " + summary(ort, engine, BATCH) + "; onednn vs "
        + "reference " + summary(engineLogits(m, "onednn", x, BATCH), engine, BATCH));
    assertTrue(maxAbsDiff(engine, ort) <= 0.5 * scale(engine), summary(ort, engine, BATCH));
    assertTrue(closeSamples(engine, ort, BATCH, 1e-4 * scale(engine)) >= 12, summary(ort, engine, BATCH));
    assertTrue(top1Agreement(engine, ort, BATCH) >= BATCH - 2, "top-1 agreement " + top1Agreement(engine, ort, BATCH));
  }

  @Test
  void theMetadataGivesEveryLayersBitsAndStorage() throws Exception {
    Model m = mixedModel();
    QuantizationScheme q = mixedScheme(m.graph());
    byte[] onnx = OnnxExport.toBytes(QuantizedNetwork.of(m, q),
        new OnnxExport.Options(false, "test", Map.of("bsq.run.strategy", "bsq")));
    Map<String, String> meta;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions())) {
      meta = s.getMetadata().getCustomMetadata();
      assertEquals("bsq-java", s.getMetadata().getProducerName());
    }
    JsonNode bits = Json.files().readTree(meta.get("bsq.weight_bits"));
    JsonNode storage = Json.files().readTree(meta.get("bsq.weight_storage"));
    for (LayerInfo l : LayerInventory.of(m.graph())) {
      int b = q.find(l.name()).map(LayerPrecision::weightBits).orElse(32);
      assertEquals(b, bits.path(l.name()).asInt(), l.name());
      assertEquals(b == 32 ? "float32" : b <= 7 ? "int8" : "int32", storage.path(l.name()).asText(), l.name());
    }
    assertEquals("bsq", meta.get("bsq.run.strategy"));
    assertEquals(Json.files().readTree(meta.get("bsq.activations")).size(), 19);
    assertTrue(meta.get("bsq.scheme").contains("\"activationBits\""), meta.get("bsq.scheme"));
  }

  @Test
  void theRawExportReadsBackIntoAModelWithTheSameLogitsBitForBit() throws Exception {
    Model m = mixedModel();
    QuantizationScheme q = mixedScheme(m.graph());
    QuantizedNetwork net = QuantizedNetwork.of(m, q);
    Path dir = tmp.resolve("raw");
    RawExport.write(net, dir, Map.of("note", "test"));
    JsonNode manifest = Json.readTree(dir.resolve(RawExport.MANIFEST));
    for (JsonNode l : manifest.path("layers")) {
      int bits = l.path("bits").asInt();
      String expected = bits == 32 ? "float32" : bits <= 7 ? "int8" : bits <= 15 ? "int16" : "int32";
      assertEquals(expected, l.path("dtype").asText(), l.toString());
    }
    QuantizedNetwork back = RawExport.read(dir, m.graph());
    for (LayerWeights w : net.layers().values()) {
      LayerWeights b = back.layer(w.name());
      assertEquals(w.bits(), b.bits(), w.name());
      if (w.isFull()) {
        assertArrayEquals(w.floats(), b.floats(), w.name());
      } else {
        assertArrayEquals(w.levels(), b.levels(), w.name());
        assertEquals(Float.floatToRawIntBits(w.scale()), Float.floatToRawIntBits(b.scale()), w.name());
      }
    }
    assertEquals(net.activations(), back.activations());
    Model fresh = Model.withZeroParameters(m.graph());
    back.installInto(fresh);
    float[] x = images(BATCH, 2);
    assertArrayEquals(engineLogits(m, "reference", x, BATCH), engineLogits(fresh, "reference", x, BATCH));
    for (LayerWeights w : net.layers().values()) { // the levels and scale reproduce the engine's weights exactly
      float[] engineWeights = new float[(int) w.count()];
      m.weightSource(w.name()).weights(engineWeights);
      float[] effective = w.effectiveWeights();
      for (int i = 0; i < effective.length; i++) { // == : the engine writes -0.0 for negative weights rounded to 0
        assertTrue(engineWeights[i] == effective[i], w.name() + "[" + i + "]: " + engineWeights[i] + " vs "
            + effective[i]);
      }
    }
  }

  @Test
  void int8OnlyExportsNameTheLayersWhoseLevelsDoNotFit() {
    Model m = mixedModel();
    QuantizedNetwork net = QuantizedNetwork.of(m, mixedScheme(m.graph()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxExport.toBytes(net, new OnnxExport.Options(true, null, Map.of())));
    assertTrue(e.getMessage().contains("'conv1' (8 bits, levels up to +-255)"), e.getMessage());
    assertTrue(e.getMessage().contains("(16 bits, levels up to +-65535)"), e.getMessage());
    assertTrue(e.getMessage().startsWith("int8 weights hold at most 7 bits"), e.getMessage());
  }

  @Test
  void aSchemeThatDoesNotFitTheModelFailsNamingTheLayer() {
    Model m = resnet20("relu6", 4);
    List<LayerPrecision> layers = new ArrayList<>(mixedScheme(m.graph()).layers());
    layers.add(LayerPrecision.of("layer4.0.conv1", 4, 4));
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> QuantizedNetwork.of(m, new QuantizationScheme(layers)));
    assertTrue(unknown.getMessage().contains("scheme layer 'layer4.0.conv1' must be a layer of model 'resnet20'"),
        unknown.getMessage());
    // a model that is not under the scheme (float weights where the scheme says 4 bits)
    IllegalArgumentException notInstalled = assertThrows(IllegalArgumentException.class,
        () -> QuantizedNetwork.of(m, QuantizationScheme.uniform(LayerInventory.of(m.graph()), 4, 4)));
    assertTrue(notInstalled.getMessage().contains("layer 'conv1' has 4 weight bits in the scheme but float weights"),
        notInstalled.getMessage());
    // a model under other bits than the scheme's
    Harness.installFixedScheme(m, QuantizationScheme.uniform(LayerInventory.of(m.graph()), 4, 4));
    IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
        () -> QuantizedNetwork.of(m, QuantizationScheme.uniform(LayerInventory.of(m.graph()), 3, 4)));
    assertTrue(other.getMessage().contains("layer 'conv1' must compute the scheme's weight bits (3), was 4"),
        other.getMessage());
  }

  @Test
  void aDamagedRawExportFailsNamingTheFile() throws Exception {
    Model m = mixedModel();
    QuantizedNetwork net = QuantizedNetwork.of(m, mixedScheme(m.graph()));
    Path dir = tmp.resolve("raw");
    RawExport.write(net, dir, Map.of());
    Path levels = dir.resolve("layer1.0.conv2.levels.int8");
    byte[] b = Files.readAllBytes(levels);
    b[0] ^= 1;
    Files.write(levels, b);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RawExport.read(dir, m.graph()));
    assertTrue(e.getMessage().startsWith("file 'layer1.0.conv2.levels.int8' must have the manifest's digest"),
        e.getMessage());
    Files.delete(dir.resolve(RawExport.MANIFEST));
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> RawExport.read(dir, m.graph()));
    assertTrue(none.getMessage().contains("must hold manifest.json"), none.getMessage());
    IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
        () -> RawExport.write(net, dir, Map.of()));
    assertTrue(foreign.getMessage().contains("must be empty or an earlier raw export"), foreign.getMessage());
  }

  /**
   * The authors' pretrained ResNet-20 quantized after training to a BSQ-like scheme (fewer bits in later stages, 4-bit
   * activations as the paper) on 128 real CIFAR-10 test images, the paper's evaluation batch: realistic activations,
   * same criteria as {@link #resnet20UnderAMixedSchemeRunsInOnnxRuntimeAndMatchesTheEngine} (7/8 of the samples at
   * float precision; 125 of 128 measured, the other three up to 9.8 % of the largest logit, where oneDNN and the
   * reference backend differ by 6.6 % on one sample), and the same number of correct top-1 predictions within two
   * images (104 of 128 both, measured). Skipped without ../shared/data.
   */
  @Test
  @org.junit.jupiter.api.Tag("integration")
  void thePretrainedResNet20UnderABsqLikeSchemeMatchesOnRealImages() throws Exception {
    String shared = System.getProperty("bsq.shared.dir");
    Path weights = shared == null ? null : Path.of(shared, "data/pretrained/resnet20-cifar10-fp32");
    Path cifar = shared == null ? null : Path.of(shared, "data/cifar-10-jpeg-q75-batches-bin");
    org.junit.jupiter.api.Assumptions.assumeTrue(weights != null && Files.isDirectory(weights)
        && Files.isDirectory(cifar), "skipped: ../shared/data is absent");
    Model m = resnet20("relu6", 4);
    org.bsq.models.PretrainedWeights.load(weights, m.parameters(), true);
    List<LayerPrecision> layers = new ArrayList<>();
    for (LayerInfo l : LayerInventory.of(m.graph())) {
      int bits = l.projectionShortcut() ? 32 : l.name().equals("conv1") || l.name().equals("fc") ? 8
          : l.name().startsWith("layer1") ? 5 : l.name().startsWith("layer2") ? 4 : 3;
      layers.add(bits == 32 ? LayerPrecision.full(l.name()) : LayerPrecision.of(l.name(), bits, 4));
    }
    QuantizationScheme q = new QuantizationScheme(layers);
    Harness.installFixedScheme(m, q);
    byte[] onnx = OnnxExport.toBytes(QuantizedNetwork.of(m, q), OnnxExport.Options.defaults());
    org.bsq.data.DataSet data = org.bsq.data.DataSets.load("cifar10", cifar);
    int n = 128;
    org.bsq.core.data.Batch b;
    try (org.bsq.core.data.BatchIterator it = data.testLoader(n, n).epoch(0)) {
      b = it.next();
    }
    float[] engine = engineLogits(m, "onednn", b.images(), n);
    float[] ort = ortLogits(onnx, b.images(), n, m.graph().inputShape());
    int correctEngine = 0;
    int correctOrt = 0;
    for (int i = 0; i < n; i++) {
      correctEngine += org.bsq.core.train.Evaluator.rankOfLabel(engine, i * 10, 10, b.labels()[i]) == 0 ? 1 : 0;
      correctOrt += org.bsq.core.train.Evaluator.rankOfLabel(ort, i * 10, 10, b.labels()[i]) == 0 ? 1 : 0;
    }
    System.out.println("pretrained resnet20, BSQ-like scheme, 128 CIFAR-10 images: ort vs engine "
        + summary(ort, engine, n) + "; top-1 engine " + correctEngine + ", ort " + correctOrt + "; largest logit "
        + scale(engine));
    assertTrue(maxAbsDiff(engine, ort) <= 0.5 * scale(engine), summary(ort, engine, n));
    assertTrue(closeSamples(engine, ort, n, 1e-4 * scale(engine)) >= n * 7 / 8, summary(ort, engine, n));
    assertTrue(Math.abs(correctEngine - correctOrt) <= 2, correctEngine + " vs " + correctOrt);
  }
}
