package org.bsq.core.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.TinyNets;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.provenance.Provenance;
import org.bsq.core.quant.LayerPrecision;
import org.bsq.core.quant.QuantizationScheme;
import org.bsq.core.strategy.Budget;
import org.bsq.core.strategy.QuantizationStrategy;
import org.bsq.core.strategy.SizeOnlyCostModel;
import org.bsq.core.strategy.StrategyContext;
import org.bsq.core.strategy.StrategyOutcome;
import org.bsq.core.train.EpochRecord;
import org.bsq.core.train.InMemoryBatchSource;
import org.bsq.core.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HarnessTest {
  /** 4 bits everywhere, the first layer pruned, shortcuts full precision. */
  static final class FourBits implements QuantizationStrategy {
    int runs;

    @Override
    public StrategyOutcome run(StrategyContext ctx) {
      runs++;
      List<LayerPrecision> out = new ArrayList<>();
      for (LayerInfo l : ctx.layers()) {
        out.add(l.projectionShortcut() ? LayerPrecision.full(l.name())
            : LayerPrecision.of(l.name(), l.index() == 0 ? 0 : 4, 0));
      }
      return new StrategyOutcome(new QuantizationScheme(out), List.of(), Map.of("note", "fixed"));
    }
  }

  static Experiment experiment(QuantizationStrategy s, Path dir, double finetuneEpochs) {
    return experiment(s, dir, finetuneEpochs, false);
  }

  static Experiment experiment(QuantizationStrategy s, Path dir, double finetuneEpochs, boolean referenceQuirks) {
    return experiment(s, dir, finetuneEpochs, referenceQuirks, false, false);
  }

  /** With {@code heldOut}, the last 6 of 24 images are a validation split the training source never sees. */
  static Experiment experiment(QuantizationStrategy s, Path dir, double finetuneEpochs, boolean referenceQuirks,
                               boolean heldOut, boolean keepBest) {
    Model model = TinyNets.residualFloat(8);
    org.bsq.core.graph.Shape in = model.graph().inputShape();
    int n = 24;
    float[] x = TinyNets.input(model, n, 3);
    int[] y = TinyNets.labels(model, n, 4);
    int trainN = heldOut ? 18 : n;
    int image = in.channels() * in.height() * in.width();
    InMemoryBatchSource train = new InMemoryBatchSource("tiny/train", java.util.Arrays.copyOf(x, trainN * image),
        java.util.Arrays.copyOf(y, trainN), in.channels(), in.height(), in.width(), TinyNets.CLASSES, 6, 5, true);
    InMemoryBatchSource test = new InMemoryBatchSource("tiny/test", x, y, in.channels(), in.height(), in.width(),
        TinyNets.CLASSES, 6, 5, false);
    InMemoryBatchSource validation = !heldOut ? null : new InMemoryBatchSource("tiny/validation",
        java.util.Arrays.copyOfRange(x, trainN * image, n * image), java.util.Arrays.copyOfRange(y, trainN, n),
        in.channels(), in.height(), in.width(), TinyNets.CLASSES, 6, 5, false);
    StrategyContext ctx = new StrategyContext(LayerInventory.of(model.graph()), model, new ReferenceBackend(1), train,
        test, new SizeOnlyCostModel(), new Budget(1, 0, 0), 5, null, dir.resolve("strategy/work"));
    FinetuneSettings f = new FinetuneSettings(finetuneEpochs, 0.05, 0.9, 1e-4, false, List.of(2.0), 0.1, keepBest,
        FinetuneSettings.ON_VALIDATION, referenceQuirks);
    return new Experiment("four-bits", s, ctx, train, validation, test, f, 1.0, org.bsq.core.json.Json.files().createObjectNode().put("seed", 5),
        Provenance.collect("test", "reference", Map.of(), dir), List.of(new SizeOnlyCostModel()), dir);
  }

  @Test
  void runsStrategyFinetunesEvaluatesPricesAndWritesARoundTrippingRecord(@TempDir Path dir) {
    RunRecord r = new Harness(List.of()).run(experiment(new FourBits(), dir, 3));
    assertEquals("four-bits", r.strategy());
    assertEquals(0, r.scheme().layers().get(0).weightBits(), "pruned first layer");
    assertTrue(r.scheme().layers().stream().anyMatch(l -> l.weightBits() == 32 && !l.counted()), "shortcut listed");
    assertEquals(3, r.trajectory().finetune().size());
    assertTrue(r.metrics().top1() >= 0 && r.metrics().top1() <= 1);
    assertTrue(r.compression().paper() > 8, "4 bits and a pruned layer compress more than 8x: " + r.compression());
    assertTrue(r.compression().wholeModel() < r.compression().paper(), "shortcuts and BN at 32 bits cost");
    assertEquals(r.compression().paper(), r.cost().get("size").get("compressionPaper"), 1e-12);
    assertTrue(r.configHash().startsWith("sha256:"));

    RunRecord back = Harness.readRecord(dir.resolve(Harness.RUN_JSON));
    assertEquals(r.scheme(), back.scheme());
    assertEquals(r.metrics(), back.metrics());
    assertEquals(r.compression(), back.compression());
    assertEquals(r.provenance(), back.provenance());
    assertEquals(r.trajectory().finetune().size(), back.trajectory().finetune().size());
    assertEquals(r.configHash(), back.configHash());
  }

  /** Evaluates all-4-bit and all-2-bit schemes, keeps the better, and asks for post-training quantization. */
  static final class TwoCandidates implements QuantizationStrategy {
    @Override
    public StrategyOutcome run(StrategyContext ctx) {
      QuantizationScheme four = QuantizationScheme.uniform(ctx.layers(), 4, 0);
      QuantizationScheme two = QuantizationScheme.uniform(ctx.layers(), 2, 0);
      try (org.bsq.core.search.CandidateEvaluator ev = ctx.candidates(
          org.bsq.core.search.CandidateSettings.defaults())) {
        double a = ev.evaluate(four).top1();
        double b = ev.evaluate(two).top1();
        return new StrategyOutcome(a >= b ? four : two, List.of(), Map.of()).withoutFinetuning();
      }
    }
  }

  @Test
  void aSearchsStepsAndBudgetUseGoToTheRecordAndPostTrainingSkipsFinetuning(@TempDir Path dir) {
    RunRecord r = new Harness(List.of()).run(experiment(new TwoCandidates(), dir, 3, false, true, false));
    assertEquals(2, r.trajectory().search().size());
    assertEquals(List.of(4, 4, 4, 32, 4, 4, 4), r.trajectory().search().get(0).weightBits());
    assertEquals(2.0, r.trajectory().search().get(1).cost(), 1e-12, "priced by the size objective");
    assertEquals(2, r.budget().evaluationsUsed());
    assertEquals(1.0, r.budget().epochs());
    assertTrue(r.trajectory().finetune().isEmpty(), "post-training quantization: no finetuning epochs");
    assertEquals(Harness.NO_FINETUNING, r.trajectory().finetuneEvaluatedOn());
    assertEquals(r.metrics().top1BeforeFinetune(), r.metrics().top1(), "evaluated as the strategy left it");
    RunRecord back = Harness.readRecord(dir.resolve(Harness.RUN_JSON));
    assertEquals(r.trajectory().search(), back.trajectory().search());
    assertEquals(r.budget(), back.budget());
  }

  /** {@link #experiment} at budget scale {@code scale}. */
  static Experiment scaled(Experiment e, double scale) {
    return new Experiment(e.strategyName(), e.strategy(), e.context(), e.finetuneTrain(), e.validation(), e.test(),
        e.finetune(), scale, e.config(), e.provenance(), e.costModels(), e.runDir());
  }

  @Test
  void aFractionalFinetuningBudgetRunsItsStepsWithTheMilestoneInsideAnEpochAndResumesTheSame(@TempDir Path full,
      @TempDir Path split) {
    // 3 recipe epochs, milestone 2, at scale 0.6: 1.8 epochs of 4 batches = 7 steps, the drop before step 5
    RunRecord uninterrupted = new Harness(List.of()).run(scaled(experiment(new FourBits(), full, 3), 0.6));
    assertEquals(new RunRecord.FinetunePlan(2, 7, true, List.of(5L)), uninterrupted.trajectory().finetunePlan());
    assertEquals(List.of(24L, 18L), uninterrupted.trajectory().finetune().stream().map(EpochRecord::trainSamples)
        .toList(), "4 batches of 6, then 3");
    assertEquals(uninterrupted.trajectory().finetunePlan(),
        Harness.readRecord(full.resolve(Harness.RUN_JSON)).trajectory().finetunePlan());

    TrainingListener crash = new TrainingListener() {
      @Override
      public void onEpochEnd(EpochRecord r) {
        if (r.epoch() == 0) {
          throw new IllegalStateException("simulated crash after finetuning epoch 1");
        }
      }
    };
    assertThrows(IllegalStateException.class,
        () -> new Harness(List.of(crash)).run(scaled(experiment(new FourBits(), split, 3), 0.6)));
    RunRecord resumed = new Harness(List.of()).run(scaled(experiment(new FourBits(), split, 3), 0.6));
    assertEquals(uninterrupted.metrics(), resumed.metrics());
    assertEquals(uninterrupted.trajectory().finetune().stream().map(EpochRecord::withoutTimings).toList(),
        resumed.trajectory().finetune().stream().map(EpochRecord::withoutTimings).toList());
  }

  @Test
  void anInterruptedRunResumesToTheSameResult(@TempDir Path full, @TempDir Path split) {
    RunRecord uninterrupted = new Harness(List.of()).run(experiment(new FourBits(), full, 3));

    TrainingListener crash = new TrainingListener() {
      @Override
      public void onEpochEnd(EpochRecord r) {
        if (r.epoch() == 1) {
          throw new IllegalStateException("simulated crash after finetuning epoch 2");
        }
      }
    };
    FourBits first = new FourBits();
    assertThrows(IllegalStateException.class, () -> new Harness(List.of(crash)).run(experiment(first, split, 3)));
    assertTrue(Files.isRegularFile(split.resolve("strategy/outcome.json")));
    RunRecord failed = Harness.readRecord(split.resolve(Harness.RUN_JSON));
    assertEquals(RunRecord.STATUS_FAILED, failed.status(), "a failed run leaves a record");
    assertEquals("finetune", failed.error().phase());
    assertEquals(IllegalStateException.class.getName(), failed.error().type());
    assertEquals("simulated crash after finetuning epoch 2", failed.error().message());
    assertEquals(uninterrupted.configHash(), failed.configHash());
    assertEquals(null, failed.metrics());
    IllegalArgumentException notFinished = assertThrows(IllegalArgumentException.class,
        () -> Harness.readFinishedRecord(split.resolve(Harness.RUN_JSON)));
    assertTrue(notFinished.getMessage().contains("was status 'failed' (finetune: simulated crash"),
        notFinished.getMessage());
    FourBits second = new FourBits();
    RunRecord resumed = new Harness(List.of()).run(experiment(second, split, 3));
    assertEquals(0, second.runs, "the strategy phase is not repeated");
    assertEquals(uninterrupted.metrics(), resumed.metrics());
    assertEquals(uninterrupted.scheme(), resumed.scheme());
    assertEquals(uninterrupted.trajectory().finetune().get(2).trainLoss(),
        resumed.trajectory().finetune().get(2).trainLoss(), 0.0);
    assertEquals(RunRecord.STATUS_FINISHED, Harness.readRecord(split.resolve(Harness.RUN_JSON)).status(),
        "the finished run replaces the failed attempt's record");
  }

  @Test
  void aHeldOutValidationSplitIsWhereFinetuningEvaluatesAndSelects(@TempDir Path dir, @TempDir Path other) {
    RunRecord r = new Harness(List.of()).run(experiment(new FourBits(), dir, 3, false, true, true));
    assertEquals("validation", r.trajectory().finetuneEvaluatedOn());
    for (EpochRecord epoch : r.trajectory().finetune()) {
      assertEquals(6, epoch.evaluation().samples(), "every finetuning epoch is evaluated on the 6 held-out images");
      assertEquals(18, epoch.trainSamples(), "and trains on the other 18 only");
    }
    double best = r.trajectory().finetune().stream().mapToDouble(EpochRecord::testTop1).max().orElseThrow();
    assertEquals(best, r.metrics().top1Validation(), 1e-12, "keep-best kept the best validation epoch");
    assertEquals(6, r.metrics().validationSamples());
    assertEquals(24, r.metrics().testSamples(), "the test split is only evaluated at the end");

    RunRecord none = new Harness(List.of()).run(experiment(new FourBits(), other, 2));
    assertEquals("test", none.trajectory().finetuneEvaluatedOn());
    assertEquals(null, none.metrics().top1Validation());
    assertEquals(0, none.metrics().validationSamples());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> experiment(new FourBits(), other, 2, false, false, true));
    assertTrue(e.getMessage().contains("needs a held-out validation split"), e.getMessage());
  }

  @Test
  void referenceCompatibleFinetuningDropsTheClassifierBiasAndClampsShortcuts(@TempDir Path dir) {
    Experiment e = experiment(new FourBits(), dir, 2, true);
    Model model = e.context().model();
    LayerInventory inv = e.context().layers();
    LayerInfo shortcut = inv.layers().stream().filter(LayerInfo::projectionShortcut).findFirst().orElseThrow();
    LayerInfo linear = inv.layers().stream().filter(l -> l.kind() == LayerInfo.Kind.LINEAR).findFirst().orElseThrow();
    // make the quirks visible: a shortcut weight beyond 1 and a non-zero bias
    model.parameters().get(shortcut.name() + ".weight").value()[0] = 3f;
    model.parameters().get(linear.name() + ".bias").value()[0] = 0.5f;
    new Harness(List.of()).run(e);
    for (float v : model.parameters().get(linear.name() + ".bias").value()) {
      assertEquals(0f, v, 0f, "the reference drops the classifier bias while finetuning");
    }
    for (float v : model.parameters().get(shortcut.name() + ".weight").value()) {
      assertTrue(v >= -1f && v <= 1f, "shortcut weight " + v);
    }
  }
}
