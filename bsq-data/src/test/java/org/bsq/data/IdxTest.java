package org.bsq.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
  private static final List<String> CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

  @TempDir Path tmp;

  /** Hand-built big-endian image file: 3 images of 2x4. */
  private static byte[] imageFile() {
    ByteBuffer b = ByteBuffer.allocate(16 + 3 * 8);
    b.putInt(0x00000803).putInt(3).putInt(2).putInt(4);
    for (int i = 0; i < 24; i++) {
      b.put((byte) (i * 11));
    }
    return b.array();
  }

  private static byte[] labelFile() {
    return ByteBuffer.allocate(8 + 3).putInt(0x00000801).putInt(3).put((byte) 7).put((byte) 0).put((byte) 9).array();
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  @Test
  void readsRawAndGzipIdenticallyRegardlessOfName() throws Exception {
    Files.write(tmp.resolve("images-raw"), imageFile());
    Files.write(tmp.resolve("labels-raw"), labelFile());
    Files.write(tmp.resolve("images-gz.bin"), gzip(imageFile())); // gzip detected from magic, not name
    Files.write(tmp.resolve("labels-gz.gz"), gzip(labelFile()));
    LabeledImages raw = Idx.load(tmp.resolve("images-raw"), tmp.resolve("labels-raw"), CLASSES, "raw");
    LabeledImages gz = Idx.load(tmp.resolve("images-gz.bin"), tmp.resolve("labels-gz.gz"), CLASSES, "gz");
    assertEquals(3, raw.size());
    assertEquals(7, raw.label(0));
    assertEquals(9, gz.label(2));
    assertEquals((21 * 11) & 0xFF, raw.pixel(2, 0, 1, 1)); // image 2, row 1, column 1 = byte 16 + 4 + 1 = 21
    assertEquals((12 * 11) & 0xFF, gz.pixel(1, 0, 1, 0));
    assertArrayEquals(Arrays.copyOfRange(imageFile(), 16, 40), concat(raw));
    assertArrayEquals(concat(raw), concat(gz));
    assertEquals(raw.checksum(), gz.checksum()); // checksum of the uncompressed content
  }

  private static byte[] concat(LabeledImages s) {
    byte[] all = new byte[s.size() * s.imageBytes()];
    for (int i = 0; i < s.size(); i++) {
      System.arraycopy(s.image(i), 0, all, i * s.imageBytes(), s.imageBytes());
    }
    return all;
  }

  @Test
  void writerRoundTrips() {
    byte[] pixels = new byte[5 * 28 * 28];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 13);
    }
    Idx.writeImages(tmp.resolve("i.gz"), 5, 28, 28, pixels, true);
    Idx.writeImages(tmp.resolve("i"), 5, 28, 28, pixels, false);
    Idx.Images gz = Idx.readImages(tmp.resolve("i.gz"));
    Idx.Images raw = Idx.readImages(tmp.resolve("i"));
    assertArrayEquals(pixels, gz.pixels());
    assertArrayEquals(pixels, raw.pixels());
    assertEquals(28, gz.rows());
    Idx.writeLabels(tmp.resolve("l.gz"), new byte[] {1, 2, 3, 4, 5}, true);
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, Idx.readLabels(tmp.resolve("l.gz")));
  }

  @Test
  void wrongMagicNamesFile() throws Exception {
    Path file = tmp.resolve("swapped");
    Files.write(file, labelFile());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Idx.readImages(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("2051") && e.getMessage().contains("2049"), e.getMessage());
  }

  @Test
  void wrongLengthNamesFileAndSizes() throws Exception {
    Path file = tmp.resolve("short.gz");
    Files.write(file, gzip(Arrays.copyOf(imageFile(), 39)));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Idx.readImages(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("40") && e.getMessage().contains("39"), e.getMessage());

    Path labels = tmp.resolve("long");
    Files.write(labels, Arrays.copyOf(labelFile(), 12));
    IllegalStateException e2 = assertThrows(IllegalStateException.class, () -> Idx.readLabels(labels));
    assertTrue(e2.getMessage().contains("11") && e2.getMessage().contains("12"), e2.getMessage());

    Path header = tmp.resolve("header");
    Files.write(header, new byte[] {0, 0, 8});
    assertThrows(IllegalStateException.class, () -> Idx.readLabels(header));
  }

  @Test
  void zeroDimensionAndCorruptGzipAreErrors() throws Exception {
    Path zero = tmp.resolve("zero");
    Files.write(zero, ByteBuffer.allocate(16).putInt(2051).putInt(3).putInt(0).putInt(4).array());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Idx.readImages(zero));
    assertTrue(e.getMessage().contains("3x0x4"), e.getMessage());

    byte[] gz = gzip(imageFile());
    Path cut = tmp.resolve("cut.gz");
    Files.write(cut, Arrays.copyOf(gz, gz.length - 10));
    UncheckedIOException e2 = assertThrows(UncheckedIOException.class, () -> Idx.readImages(cut));
    assertTrue(e2.getMessage().contains(cut.toString()), e2.getMessage());
  }

  @Test
  void labelCountMismatchAndRangeAreErrors() throws Exception {
    Files.write(tmp.resolve("i"), imageFile());
    Files.write(tmp.resolve("l2"), ByteBuffer.allocate(10).putInt(2049).putInt(2).put((byte) 1).put((byte) 1).array());
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> Idx.load(tmp.resolve("i"), tmp.resolve("l2"), CLASSES, "x"));
    assertTrue(e.getMessage().contains("l2") && e.getMessage().contains("was 2"), e.getMessage());
    Files.write(tmp.resolve("l"), labelFile());
    IllegalStateException e2 = assertThrows(IllegalStateException.class,
        () -> Idx.load(tmp.resolve("i"), tmp.resolve("l"), List.of("a", "b", "c"), "x"));
    assertTrue(e2.getMessage().contains("item 0") && e2.getMessage().contains("was 7"), e2.getMessage());
  }

  @Test
  void loadDirectoryFindsStandardNamesAndReportsMissing() throws Exception {
    Path dir = tmp.resolve("fashion-mnist");
    Files.createDirectories(dir);
    Files.write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(imageFile()));
    Files.write(dir.resolve("train-labels-idx1-ubyte"), labelFile());
    Files.write(dir.resolve("t10k-images-idx3-ubyte"), imageFile());
    Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), gzip(labelFile()));
    DataSplits s = FashionMnist.load(tmp); // found in the subdirectory
    assertEquals(3, s.train().size());
    assertEquals(FashionMnist.CLASS_NAMES, s.test().classNames());

    Files.delete(dir.resolve("t10k-images-idx3-ubyte"));
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> FashionMnist.load(tmp));
    assertTrue(e.getMessage().contains("incomplete") && e.getMessage().contains("t10k-images-idx3-ubyte"),
        e.getMessage());

    Path empty = tmp.resolve("empty");
    Files.createDirectories(empty);
    UncheckedIOException e2 = assertThrows(UncheckedIOException.class, () -> FashionMnist.load(empty));
    assertTrue(e2.getMessage().contains("train-images-idx3-ubyte") && e2.getMessage().contains(
        empty.toAbsolutePath().toString()), e2.getMessage());
  }
}
