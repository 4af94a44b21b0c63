package org.bsq.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.bsq.core.graph.Shape;

/** Synthetic test data: CIFAR-style batch files, tar.gz archives, small labelled image sets. */
final class TestData {
  private TestData() {}

  /** Label of global image {@code i} of a synthetic CIFAR split. */
  static int label(int i) { return (i * 7 + 3) % 10; }

  /** Pixel byte {@code j} of global image {@code i} of a synthetic CIFAR split (files distinguished by offset). */
  static byte pixel(int i, int j) { return (byte) (i * 31 + j * 7 + (j >> 10) * 5); }

  /** Content of one synthetic batch file of {@code records} records, first global image {@code first}. */
  static byte[] cifarFile(int first, int records) {
    byte[] data = new byte[records * Cifar10.RECORD_BYTES];
    for (int r = 0; r < records; r++) {
      int i = first + r;
      data[r * Cifar10.RECORD_BYTES] = (byte) label(i);
      for (int j = 0; j < Cifar10.IMAGE_BYTES; j++) {
        data[r * Cifar10.RECORD_BYTES + 1 + j] = pixel(i, j);
      }
    }
    return data;
  }

  /**
   * The six files of a synthetic CIFAR set with {@code records} records per file, keyed by file name, plus
   * {@code batches.meta.txt} if {@code meta} is non-null. Test images are numbered from 1000 on.
   */
  static Map<String, byte[]> cifarFiles(int records, String meta) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    if (meta != null) {
      files.put(Cifar10.META_FILE, meta.getBytes(StandardCharsets.UTF_8));
    }
    for (int f = 0; f < 5; f++) {
      files.put(Cifar10.TRAIN_FILES.get(f), cifarFile(f * records, records));
    }
    files.put(Cifar10.TEST_FILE, cifarFile(1000, records));
    return files;
  }

  static void writeAll(Path dir, Map<String, byte[]> files) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      Files.write(dir.resolve(e.getKey()), e.getValue());
    }
  }

  /** A gzip-compressed ustar archive of {@code files} (name to content), with a directory entry for the prefix. */
  static byte[] tarGz(String directory, Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      if (directory != null) {
        out.write(tarHeader(directory + "/", 0, '5'));
      }
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        String name = directory == null ? e.getKey() : directory + "/" + e.getKey();
        out.write(tarHeader(name, e.getValue().length, '0'));
        out.write(e.getValue());
        int pad = (512 - e.getValue().length % 512) % 512;
        out.write(new byte[pad]);
      }
      out.write(new byte[1024]);
    }
    return bytes.toByteArray();
  }

  static byte[] tarHeader(String name, long size, char type) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, "0000644");
    put(h, 108, "0001750");
    put(h, 116, "0001750");
    put(h, 124, String.format("%011o", size));
    put(h, 136, String.format("%011o", 1_300_000_000L));
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    h[156] = (byte) type;
    put(h, 257, "ustar");
    put(h, 263, "00");
    put(h, 265, "test");
    put(h, 297, "test");
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xFF;
    }
    put(h, 148, String.format("%06o", sum));
    h[154] = 0;
    h[155] = ' ';
    return h;
  }

  private static void put(byte[] h, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, b.length);
  }

  /** A split of {@code n} images {@code c x h x w} with pixel {@code (i*17 + j) & 0xFF} and label {@code i % classes}. */
  static LabeledImages images(int n, int c, int h, int w, int classes) {
    int size = c * h * w;
    byte[] pixels = new byte[n * size];
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i % classes);
      for (int j = 0; j < size; j++) {
        pixels[i * size + j] = (byte) (i * 17 + j);
      }
    }
    List<String> names = java.util.stream.IntStream.range(0, classes).mapToObj(k -> "class" + k).toList();
    return new LabeledImages(pixels, labels, new Shape(c, h, w), names, "sha256:test", "synthetic " + n);
  }
}
