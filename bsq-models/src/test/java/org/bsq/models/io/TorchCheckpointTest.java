package org.bsq.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reads the fixtures of {@code fixtures/torch/make_fixtures.py} (both formats) and refuses what it must. */
class TorchCheckpointTest {
  static Path fixture(String name) {
    try {
      return Path.of(TorchCheckpointTest.class.getResource("/fixtures/torch/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test resource fixtures/torch/" + name, e);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"legacy", "zip"})
  void readsDtypesViewsSharedStoragesAndNesting(String format) {
    TorchCheckpoint c = TorchCheckpoint.read(fixture("tensors-" + format + ".pth"));
    assertEquals(format, c.format());
    Map<?, ?> root = (Map<?, ?>) c.root();
    assertEquals(List.of("base", "slice", "transposed", "f64", "i64", "half", "flags", "scalar", "nested"),
        List.copyOf(root.keySet().stream().map(String::valueOf).toList()));
    TorchTensor base = (TorchTensor) root.get("base");
    assertArrayEquals(new int[] {3, 4}, base.shape());
    assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, base.toFloatArray());
    TorchTensor slice = (TorchTensor) root.get("slice");
    assertArrayEquals(new int[] {2, 4}, slice.shape());
    assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9, 10, 11}, slice.toFloatArray(), "storage offset 4");
    TorchTensor t = (TorchTensor) root.get("transposed");
    assertArrayEquals(new int[] {3, 2}, t.shape());
    assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.toFloatArray(), "strides (1, 3) gathered into C order");
    TorchTensor f64 = (TorchTensor) root.get("f64");
    assertEquals(TorchDType.FLOAT64, f64.dtype());
    assertArrayEquals(new float[] {0.1f, -2.5f, Float.POSITIVE_INFINITY}, f64.toFloatArray());
    TorchTensor i64 = (TorchTensor) root.get("i64");
    assertEquals(TorchDType.INT64, i64.dtype());
    assertArrayEquals(new long[] {-1, 1L << 40, 3}, i64.toLongArray());
    TorchTensor half = (TorchTensor) root.get("half");
    assertEquals(TorchDType.FLOAT16, half.dtype());
    assertArrayEquals(new float[] {1.5f, -0.25f, 65504f}, half.toFloatArray());
    assertArrayEquals(new long[] {1, 0, 1}, ((TorchTensor) root.get("flags")).toLongArray());
    TorchTensor scalar = (TorchTensor) root.get("scalar");
    assertArrayEquals(new int[0], scalar.shape());
    assertArrayEquals(new float[] {3.25f}, scalar.toFloatArray());
    Map<?, ?> nested = (Map<?, ?>) root.get("nested");
    List<?> list = (List<?>) nested.get("list");
    assertArrayEquals(new float[] {1, 1}, ((TorchTensor) list.get(0)).toFloatArray());
    assertEquals(1, ((Number) list.get(1)).intValue());
    assertEquals("a", list.get(2));
    Object[] tuple = (Object[]) nested.get("tuple");
    assertEquals(1.5, tuple[0]);
    assertNull(tuple[1]);
    assertEquals(Boolean.TRUE, tuple[2]);
    assertEquals(BigInteger.TWO.pow(70), nested.get("big"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"legacy", "zip"})
  void refusesAnUnknownGlobalByNameWithoutRunningIt(String format) {
    Path file = fixture("evil-" + format + ".pth");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.read(file));
    assertTrue(e.getMessage().contains("global 'posix.system', which is not allowed"), e.getMessage());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertFalse(Files.exists(Path.of("evil-executed.txt")));
    assertFalse(Files.exists(file.resolveSibling("evil-executed.txt")));
  }

  @Test
  void refusesAPickledWholeModelNamingItsClass() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TorchCheckpoint.read(fixture("whole-model-legacy.pth")));
    assertTrue(e.getMessage().contains("global 'torch.nn.modules.linear.Linear'"), e.getMessage());
    assertTrue(e.getMessage().contains("save model.state_dict() instead"), e.getMessage());
  }

  /** GLOBAL (protocol 2) and STACK_GLOBAL (protocol 4) both go through the whitelist. */
  @Test
  void refusesBuiltinsEvalThroughEitherGlobalOpcode(@TempDir Path dir) throws IOException {
    ByteArrayOutputStream p2 = new ByteArrayOutputStream();
    p2.write(new byte[] {(byte) 0x80, 2});
    p2.write("cbuiltins\neval\n".getBytes(StandardCharsets.US_ASCII));
    p2.write(new byte[] {'X', 3, 0, 0, 0, '1', '+', '1', (byte) 0x85, 'R', '.'});
    ByteArrayOutputStream p4 = new ByteArrayOutputStream();
    p4.write(new byte[] {(byte) 0x80, 4, (byte) 0x8c, 8});
    p4.write("builtins".getBytes(StandardCharsets.US_ASCII));
    p4.write(new byte[] {(byte) 0x8c, 4});
    p4.write("eval".getBytes(StandardCharsets.US_ASCII));
    p4.write(new byte[] {(byte) 0x93, (byte) 0x8c, 3, '1', '+', '1', (byte) 0x85, 'R', '.'});
    for (byte[] pickle : List.of(p2.toByteArray(), p4.toByteArray())) {
      Path zip = dir.resolve("eval-" + pickle[1] + ".pth");
      try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
        z.putNextEntry(new ZipEntry("archive/data.pkl"));
        z.write(pickle);
        z.closeEntry();
        z.putNextEntry(new ZipEntry("archive/version"));
        z.write("3\n".getBytes(StandardCharsets.US_ASCII));
        z.closeEntry();
      }
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.read(zip));
      assertTrue(e.getMessage().contains("global 'builtins.eval', which is not allowed"), e.getMessage());
    }
  }

  @Test
  void refusesFilesInNeitherFormatAndTruncatedOnes(@TempDir Path dir) throws IOException {
    Path text = Files.writeString(dir.resolve("notes.pth"), "hello");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.read(text));
    assertTrue(e.getMessage().contains("must be a PyTorch checkpoint"), e.getMessage());
    assertFalse(TorchCheckpoint.looksLikeCheckpoint(text));
    assertTrue(TorchCheckpoint.looksLikeCheckpoint(fixture("tensors-legacy.pth")));
    assertTrue(TorchCheckpoint.looksLikeCheckpoint(fixture("tensors-zip.pth")));

    byte[] whole = Files.readAllBytes(fixture("tensors-legacy.pth"));
    Path cut = dir.resolve("cut.pth");
    Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 10));
    e = assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.read(cut));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());

    assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.read(dir.resolve("absent.pth")));
  }

  /** A length prefix beyond the file is refused before anything is allocated for it. */
  @Test
  void refusesAHugeLengthPrefixWithoutAllocatingIt(@TempDir Path dir) throws IOException {
    byte[] pickle = {(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'a', '.'};
    Path zip = dir.resolve("huge.pth");
    try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
      z.putNextEntry(new ZipEntry("archive/data.pkl"));
      z.write(pickle);
      z.closeEntry();
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.read(zip));
    assertTrue(e.getMessage().contains("claiming 2147483647 bytes, more than the"), e.getMessage());
  }

  /** Corrupt bytes anywhere give a clear IllegalArgumentException (or an I/O error), never another exception. */
  @ParameterizedTest
  @ValueSource(strings = {"legacy", "zip"})
  void corruptFilesFailWithAClearError(String format, @TempDir Path dir) throws IOException {
    byte[] whole = Files.readAllBytes(fixture("tensors-" + format + ".pth"));
    java.util.SplittableRandom r = new java.util.SplittableRandom(11);
    int refused = 0;
    for (int trial = 0; trial < 300; trial++) {
      byte[] b = whole.clone();
      for (int k = 0; k < 1 + r.nextInt(3); k++) {
        b[r.nextInt(b.length)] = (byte) r.nextInt(256);
      }
      Path f = Files.write(dir.resolve("c" + trial + ".pth"), b);
      try {
        TorchCheckpoint.read(f);
      } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
        refused++;
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
      }
    }
    assertTrue(refused > 0, "some corruptions must be detected");
  }

  @ParameterizedTest
  @ValueSource(strings = {"legacy", "zip"})
  void findsTheWrappedStateDictAndMapsItsKeys(String format) {
    TorchCheckpoint c = TorchCheckpoint.read(fixture("small-cnn-" + format + ".pth"));
    Map<String, TorchTensor> sd = TorchStateDict.find(c);
    assertEquals(4 * 5 + 1 + 4 * 1 + 1, sd.size(), "4 convs, 4 BNs x 5 entries, fc weight and bias");
    assertTrue(sd.containsKey("module.bn1.num_batches_tracked"));
    List<TorchStateDict.Entry> model = TorchStateDict.modelTensors(sd);
    assertEquals(4 + 4 * 4 + 2, model.size());
    assertEquals("conv1.weight", model.get(0).name());
    assertEquals("module.conv1.weight", model.get(0).checkpointKey());
    assertTrue(model.stream().noneMatch(x -> x.name().contains("num_batches_tracked") || x.name().startsWith("module.")));
    assertEquals(Map.of("epoch", 7, "best_acc", 81.5), TorchStateDict.metadata(c));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TorchStateDict.find(TorchCheckpoint.read(fixture("tensors-" + format + ".pth"))));
    assertTrue(e.getMessage().contains("holds no state dict"), e.getMessage());
  }
}
