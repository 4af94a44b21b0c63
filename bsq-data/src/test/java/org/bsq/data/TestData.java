package org.bsq.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
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

  /** A gzip-compressed tar archive of {@code files} (name to content), with a directory entry for the prefix. */
  static byte[] tarGz(String directory, Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
      if (directory != null) {
        tar.putArchiveEntry(new TarArchiveEntry(directory + "/"));
        tar.closeArchiveEntry();
      }
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(directory == null ? e.getKey() : directory + "/" + e.getKey());
        entry.setSize(e.getValue().length);
        tar.putArchiveEntry(entry);
        tar.write(e.getValue());
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
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
