package org.bsq.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.bsq.core.engine.Model;
import org.bsq.core.engine.reference.ReferenceBackend;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterRole;
import org.bsq.core.param.ParameterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir
  Path tmp;

  private static final float[] SPECIAL = {0f, -0f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
      Float.intBitsToFloat(0x7fc00123), 1e-40f, (float) Math.PI};

  private static ParameterStore store() {
    ParameterStore s = new ParameterStore();
    s.add(new Parameter("conv.weight", new int[] {2, 1, 2, 2}, ParameterRole.WEIGHT, SPECIAL.clone()));
    s.add(new Parameter("bn.running_var", new int[] {3}, ParameterRole.BN_RUNNING_STAT, new float[] {1f, 2f, 3f}));
    return s;
  }

  private static void assertBitwise(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "element " + i);
    }
  }

  @Test
  void parametersRoundTripBitwise() {
    ParameterStore s = store();
    Checkpoint.ofParameters(s).write(tmp.resolve("cp"));
    assertTrue(Files.isRegularFile(tmp.resolve("cp").resolve(Checkpoint.JSON_FILE)));
    assertEquals(11 * 4, tmp.resolve("cp").resolve(Checkpoint.TENSOR_FILE).toFile().length());
    Checkpoint cp = Checkpoint.read(tmp.resolve("cp"));
    assertNull(cp.config());
    assertNull(cp.state());
    assertArrayEquals(new int[] {2, 1, 2, 2}, cp.parameterShapes().get("conv.weight"));
    ParameterStore t = new ParameterStore();
    t.add(new Parameter("conv.weight", new int[] {2, 1, 2, 2}, ParameterRole.WEIGHT));
    t.add(new Parameter("bn.running_var", new int[] {3}, ParameterRole.BN_RUNNING_STAT));
    cp.restoreParameters(t);
    assertBitwise(SPECIAL, t.get("conv.weight").value());
    assertBitwise(new float[] {1f, 2f, 3f}, t.get("bn.running_var").value());
  }

  @Test
  void trainingCheckpointRoundTripsEverything() throws IOException {
    Model model = TrainFixtures.tinyConvModel(1);
    TrainingConfig config = TrainingConfig.of(3, SgdSettings.of(0.1, 0.9, 1e-4).withNesterov(true)
            .withWeightDecayExcluded(ParameterRole.BN_WEIGHT, ParameterRole.BN_BIAS),
        LearningRateSchedule.cosine(3, 1e-3), 77).withSchedulePerStep(true).withEvalEvery(2)
        .withCheckpoints(tmp.resolve("run"), 1, 5);
    Trainer trainer = Trainer.builder(new ReferenceBackend(1), model, config,
        TrainFixtures.stripes("train", 30, 8, 3, true)).evaluation(TrainFixtures.stripes("test", 10, 4, 4, false))
        .build();
    trainer.trainUntil(1);
    Checkpoint cp = Checkpoint.read(tmp.resolve("run"));   // resolves run/latest
    assertEquals(config, cp.config());
    assertEquals(trainer.state(), cp.state());
    assertEquals(1, cp.state().epoch());
    assertEquals(0, cp.state().step());
    assertEquals(4, cp.state().globalStep());

    Model fresh = TrainFixtures.tinyConvModel(2);
    SgdOptimizer opt = new SgdOptimizer(config.optimizer());
    cp.restoreParameters(fresh.parameters());
    cp.restoreOptimizer(opt, fresh.parameters());
    for (Parameter p : model.parameters().all()) {
      assertBitwise(p.value(), fresh.parameters().get(p.name()).value());
    }
    assertEquals(trainer.optimizer().stateNames(), opt.stateNames());
    for (String name : opt.stateNames()) {
      assertBitwise(trainer.optimizer().momentumBuffer(name), opt.momentumBuffer(name));
    }
    try (Stream<Path> files = Files.list(tmp.resolve("run"))) {
      assertEquals(List.of("latest"), files.map(p -> p.getFileName().toString()).toList(),
          "no temporary or old directories are left behind after overwriting");
    }
    String json = Files.readString(tmp.resolve("run/latest/checkpoint.json"));
    assertTrue(json.contains("\"formatVersion\" : 1"), json.substring(0, 200));
  }

  @Test
  void restoreReportsEveryMismatch() {
    Checkpoint.ofParameters(store()).write(tmp.resolve("cp"));
    ParameterStore other = new ParameterStore();
    other.add(new Parameter("conv.weight", new int[] {8}, ParameterRole.WEIGHT));
    other.add(new Parameter("fc.bias", new int[] {2}, ParameterRole.BIAS));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Checkpoint.read(tmp.resolve("cp")).restoreParameters(other));
    assertEquals("checkpoint does not match the model: parameter 'conv.weight' must have the model's shape [8], was"
        + " [2, 1, 2, 2] in the checkpoint; parameter 'fc.bias' of the model is missing from the checkpoint; tensor"
        + " 'bn.running_var' of the checkpoint is not a parameter of the model", e.getMessage());
  }

  @Test
  void detectsCorruptionAndUnknownVersions() throws IOException {
    Checkpoint.ofParameters(store()).write(tmp.resolve("cp"));
    try (RandomAccessFile f = new RandomAccessFile(tmp.resolve("cp/tensors.bin").toFile(), "rw")) {
      f.seek(40);
      f.write(0x55);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(tmp.resolve("cp")));
    assertTrue(e.getMessage().contains("'bn.running_var'") && e.getMessage().contains("CRC-32"), e.getMessage());

    Checkpoint.ofParameters(store()).write(tmp.resolve("cp"));
    Path json = tmp.resolve("cp/checkpoint.json");
    Files.writeString(json, Files.readString(json).replace("\"formatVersion\" : 1", "\"formatVersion\" : 99"));
    e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(tmp.resolve("cp")));
    assertTrue(e.getMessage().endsWith("must be in [1, 1], was 99"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(tmp.resolve("nothing")));
    assertTrue(e.getMessage().startsWith("checkpoint directory must contain checkpoint.json"), e.getMessage());
  }

  @Test
  void findsTheOldCheckpointAfterACrashBetweenRenames() throws IOException {
    Checkpoint.ofParameters(store()).write(tmp.resolve("run/latest"));
    Files.move(tmp.resolve("run/latest"), tmp.resolve("run/latest.old-123"));
    assertEquals(tmp.resolve("run/latest.old-123").toAbsolutePath(), Checkpoint.resolve(tmp.resolve("run")));
  }
}
