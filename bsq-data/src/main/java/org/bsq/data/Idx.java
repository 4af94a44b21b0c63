package org.bsq.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.bsq.core.graph.Shape;
import org.bsq.core.provenance.Digests;

/**
 * Reader (and writer) of the IDX files of MNIST and Fashion-MNIST: a big-endian header (magic, then one int per
 * dimension) followed by unsigned bytes. Images: magic 2051 ({@code 0x00000803}), dimensions count, rows, columns.
 * Labels: magic 2049 ({@code 0x00000801}), dimension count. Files may be raw or gzip-compressed (detected from the
 * magic bytes {@code 1f 8b}, whatever the file name).
 *
 * <p>Validation: magic number, positive dimensions, and an exact content length ({@code 16 + n*rows*cols} for images,
 * {@code 8 + n} for labels); every violation is an {@link IllegalStateException} naming the file. I/O failures
 * (including corrupt gzip streams) are {@link UncheckedIOException}s naming the file.
 */
public final class Idx {
  /** Magic number of an IDX image file (unsigned bytes, 3 dimensions). */
  public static final int IMAGES_MAGIC = 2051;
  /** Magic number of an IDX label file (unsigned bytes, 1 dimension). */
  public static final int LABELS_MAGIC = 2049;

  /** Standard file names (without {@code .gz}) of the MNIST / Fashion-MNIST distribution. */
  public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

  private Idx() {}

  /**
   * Decoded content of an IDX image file.
   *
   * @param count number of images
   * @param rows rows per image
   * @param cols columns per image
   * @param pixels {@code count * rows * cols} unsigned bytes, image after image, row-major
   */
  public record Images(int count, int rows, int cols, byte[] pixels) {}

  /** Reads an image file (raw or gzip). */
  public static Images readImages(Path file) {
    return parseImages(readContent(file), file.toString());
  }

  /** Reads a label file (raw or gzip): one unsigned byte per item. */
  public static byte[] readLabels(Path file) {
    return parseLabels(readContent(file), file.toString());
  }

  /** Reads an image file from a stream (raw or gzip); {@code name} names it in errors. Does not close the stream. */
  public static Images readImages(InputStream in, String name) {
    return parseImages(readContent(in, name), name);
  }

  /** Reads a label file from a stream (raw or gzip); {@code name} names it in errors. Does not close the stream. */
  public static byte[] readLabels(InputStream in, String name) {
    return parseLabels(readContent(in, name), name);
  }

  /**
   * Reads a pair of image and label files into one split. The checksum is the SHA-256 of the uncompressed image
   * file content followed by the uncompressed label file content.
   */
  public static LabeledImages load(Path imagesFile, Path labelsFile, List<String> classNames, String description) {
    Images images = readImages(imagesFile);
    byte[] labels = readLabels(labelsFile);
    return combine(images, labels, imagesFile.toString(), labelsFile.toString(), classNames, description);
  }

  /** Combines decoded image and label files (names used in errors) into one split. */
  static LabeledImages combine(
      Images images, byte[] labels, String imagesName, String labelsName, List<String> classNames,
      String description) {
    if (labels.length != images.count()) {
      throw new IllegalStateException(
          "label count of " + labelsName + " must equal the image count " + images.count() + " of " + imagesName
              + ", was " + labels.length);
    }
    byte[] l = labels;
    for (int i = 0; i < l.length; i++) {
      if ((l[i] & 0xFF) >= classNames.size()) {
        throw new IllegalStateException(
            "label of item " + i + " in " + labelsName + " must be in [0, " + (classNames.size() - 1) + "], was "
                + (l[i] & 0xFF));
      }
    }
    MessageDigest sha = Digests.sha256();
    sha.update(imagesHeader(images.count(), images.rows(), images.cols()));
    sha.update(images.pixels());
    sha.update(labelsHeader(l.length));
    sha.update(l);
    String checksum = Digests.sha256Label(sha);
    return new LabeledImages(
        images.pixels(), l, new Shape(1, images.rows(), images.cols()), classNames, checksum,
        description + " (" + imagesName + ", " + labelsName + ")");
  }

  /**
   * Loads the train and test splits of an MNIST-style directory. In {@code dir} (then in {@code dir/<subdirectory>}
   * for each of {@code subdirectories}) it looks for the four standard names, each raw or with {@code .gz}; all four
   * must be in the same directory.
   *
   * @throws UncheckedIOException (cause {@link NoSuchFileException}) naming every file and directory looked at
   */
  public static DataSplits loadDirectory(
      Path dir, List<String> subdirectories, String dataSetName, List<String> classNames) {
    Objects.requireNonNull(dir, "dir");
    List<Path> candidates = new ArrayList<>();
    candidates.add(dir);
    for (String sub : subdirectories) {
      candidates.add(dir.resolve(sub));
    }
    for (Path candidate : candidates) {
      Path trainImages = find(candidate, TRAIN_IMAGES);
      Path trainLabels = find(candidate, TRAIN_LABELS);
      Path testImages = find(candidate, TEST_IMAGES);
      Path testLabels = find(candidate, TEST_LABELS);
      if (trainImages == null && trainLabels == null && testImages == null && testLabels == null) {
        continue;
      }
      List<String> missing = new ArrayList<>();
      if (trainImages == null) missing.add(TRAIN_IMAGES + "[.gz]");
      if (trainLabels == null) missing.add(TRAIN_LABELS + "[.gz]");
      if (testImages == null) missing.add(TEST_IMAGES + "[.gz]");
      if (testLabels == null) missing.add(TEST_LABELS + "[.gz]");
      if (!missing.isEmpty()) {
        String message = dataSetName + " directory " + candidate.toAbsolutePath() + " is incomplete: missing "
            + String.join(", ", missing);
        throw new UncheckedIOException(message, new NoSuchFileException(candidate.toString(), null, message));
      }
      return new DataSplits(
          load(trainImages, trainLabels, classNames, dataSetName + " train"),
          load(testImages, testLabels, classNames, dataSetName + " test"));
    }
    List<String> where = candidates.stream().map(p -> p.toAbsolutePath().toString()).toList();
    String message = dataSetName + " IDX files not found: looked for " + TRAIN_IMAGES + ", " + TRAIN_LABELS + ", "
        + TEST_IMAGES + ", " + TEST_LABELS + " (each raw or .gz) in " + String.join(", ", where)
        + ". Put the four files of the standard distribution into " + dir.toAbsolutePath();
    throw new UncheckedIOException(message, new NoSuchFileException(dir.toString(), null, message));
  }

  private static Path find(Path dir, String name) {
    Path raw = dir.resolve(name);
    if (Files.isRegularFile(raw)) {
      return raw;
    }
    Path gz = dir.resolve(name + ".gz");
    return Files.isRegularFile(gz) ? gz : null;
  }

  /** Writes an image file; gzip-compressed (level 9) if {@code gzip}. */
  public static void writeImages(Path file, int count, int rows, int cols, byte[] pixels, boolean gzip) {
    if (count < 0 || rows < 1 || cols < 1 || pixels.length != (long) count * rows * cols) {
      throw new IllegalArgumentException(
          "pixels must hold count x rows x cols = " + count + "x" + rows + "x" + cols + " bytes, was " + pixels.length);
    }
    write(file, imagesHeader(count, rows, cols), pixels, gzip);
  }

  /** Writes a label file; gzip-compressed (level 9) if {@code gzip}. */
  public static void writeLabels(Path file, byte[] labels, boolean gzip) {
    write(file, labelsHeader(labels.length), labels, gzip);
  }

  private static byte[] imagesHeader(int count, int rows, int cols) {
    return ByteBuffer.allocate(16).putInt(IMAGES_MAGIC).putInt(count).putInt(rows).putInt(cols).array();
  }

  private static byte[] labelsHeader(int count) {
    return ByteBuffer.allocate(8).putInt(LABELS_MAGIC).putInt(count).array();
  }

  private static void write(Path file, byte[] header, byte[] body, boolean gzip) {
    try (OutputStream raw = Files.newOutputStream(file);
        OutputStream out = gzip ? new BestGzipOutputStream(raw) : raw) {
      out.write(header);
      out.write(body);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write IDX file " + file + ": " + e.getMessage(), e);
    }
  }

  /** GZIP at maximum compression; the JDK writes a fixed header (mtime 0), so output is reproducible. */
  private static final class BestGzipOutputStream extends GZIPOutputStream {
    BestGzipOutputStream(OutputStream out) throws IOException {
      super(out, 1 << 16);
      def.setLevel(Deflater.BEST_COMPRESSION);
    }
  }

  private static byte[] readContent(Path file) {
    if (!Files.isRegularFile(file)) {
      String message = "IDX file " + file.toAbsolutePath() + " does not exist";
      throw new UncheckedIOException(message, new NoSuchFileException(file.toString(), null, message));
    }
    try (InputStream in = Files.newInputStream(file)) {
      return readContent(in, file.toString());
    }  catch (IOException e) {
      throw new UncheckedIOException("cannot read IDX file " + file + ": " + e.getMessage(), e);
    }
  }

  private static byte[] readContent(InputStream in, String name) {
    try {
      BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
      buffered.mark(2);
      int b0 = buffered.read();
      int b1 = buffered.read();
      buffered.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        return new GZIPInputStream(buffered, 1 << 16).readAllBytes();
      }
      return buffered.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read IDX file " + name + " (corrupt gzip?): " + e.getMessage(), e);
    }
  }

  private static Images parseImages(byte[] content, String name) {
    ByteBuffer buf = header(content, name, 16, IMAGES_MAGIC, "image");
    int count = buf.getInt(4);
    int rows = buf.getInt(8);
    int cols = buf.getInt(12);
    if (count < 1 || rows < 1 || cols < 1) {
      throw new IllegalStateException(
          "IDX image file " + name + " dimensions must be >= 1, was " + count + "x" + rows + "x" + cols);
    }
    long expected = 16L + (long) count * rows * cols;
    if (content.length != expected) {
      throw new IllegalStateException(
          "IDX image file " + name + " length must be 16 + " + count + "x" + rows + "x" + cols + " = " + expected
              + " bytes (uncompressed), was " + content.length);
    }
    byte[] pixels = java.util.Arrays.copyOfRange(content, 16, content.length);
    return new Images(count, rows, cols, pixels);
  }

  private static byte[] parseLabels(byte[] content, String name) {
    ByteBuffer buf = header(content, name, 8, LABELS_MAGIC, "label");
    int count = buf.getInt(4);
    if (count < 1) {
      throw new IllegalStateException("IDX label file " + name + " count must be >= 1, was " + count);
    }
    long expected = 8L + count;
    if (content.length != expected) {
      throw new IllegalStateException(
          "IDX label file " + name + " length must be 8 + " + count + " = " + expected
              + " bytes (uncompressed), was " + content.length);
    }
    return java.util.Arrays.copyOfRange(content, 8, content.length);
  }

  private static ByteBuffer header(byte[] content, String name, int headerBytes, int magic, String kind) {
    ByteBuffer buf = ByteBuffer.wrap(content); // big-endian
    if (content.length >= 4 && buf.getInt(0) != magic) {
      throw new IllegalStateException(
          "IDX " + kind + " file " + name + " magic number must be " + magic + ", was " + buf.getInt(0));
    }
    if (content.length < headerBytes) {
      throw new IllegalStateException(
          "IDX " + kind + " file " + name + " length must be >= " + headerBytes + " bytes (header), was "
              + content.length);
    }
    return buf;
  }
}
