package org.bsq.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.bsq.core.graph.Shape;
import org.bsq.core.provenance.Digests;

/**
 * Reader of the official CIFAR-10 "binary version": {@code data_batch_1.bin} ... {@code data_batch_5.bin} (training,
 * 50,000 images) and {@code test_batch.bin} (10,000), each record 3,073 bytes (label byte 0..9, then the 1,024 red,
 * 1,024 green and 1,024 blue pixel bytes of a 32x32 row-major image), no header; every file exactly 30,730,000 bytes.
 *
 * <p>{@link #load(Path)} accepts
 *
 * <ul>
 *   <li>a directory holding the six files, or whose subdirectory {@code cifar-10-batches-bin/} (or the shared
 *       {@code cifar-10-jpeg-q75-batches-bin/}) holds them;
 *   <li>a directory holding the archive {@code cifar-10-binary.tar.gz} (read directly, never extracted);
 *   <li>the archive file itself.
 * </ul>
 *
 * Class names come from {@code batches.meta.txt} when present (10 non-empty lines), otherwise {@link #CLASS_NAMES}.
 * A file of the wrong size is an {@link IllegalStateException} naming the file, the expected and the actual size
 * (nothing is returned partially); a label outside 0..9 is an {@link IllegalStateException} naming file and record.
 * Missing data is an {@link UncheckedIOException} (cause {@link NoSuchFileException}) that lists what was looked for,
 * where, and where to put the archive or the extracted folder. With {@link Options#withDownload(boolean)} the
 * official archive is fetched from {@link #ARCHIVE_URL} (md5 checked) into the given directory first.
 *
 * <p>The checksum of each split is the SHA-256 of its files' bytes concatenated in canonical order (training:
 * batches 1 to 5), the same whether they were read from a directory or from the archive.
 */
public final class Cifar10 {
  public static final int CHANNELS = 3;
  public static final int SIDE = 32;
  public static final int IMAGE_BYTES = CHANNELS * SIDE * SIDE;
  /** Bytes per record: one label byte and {@value #IMAGE_BYTES} pixel bytes. */
  public static final int RECORD_BYTES = 1 + IMAGE_BYTES;
  public static final int RECORDS_PER_FILE = 10_000;
  /** Size of each official batch file. */
  public static final long FILE_BYTES = (long) RECORD_BYTES * RECORDS_PER_FILE;
  public static final List<String> TRAIN_FILES =
      List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
  public static final String TEST_FILE = "test_batch.bin";
  public static final String META_FILE = "batches.meta.txt";
  /** Folder inside the official archive (and its usual extraction target). */
  public static final String EXTRACTED_DIR = "cifar-10-batches-bin";
  /** Folder name of the JPEG-q75 approximation in shared/data (same layout, not lossless). */
  public static final String SHARED_JPEG_DIR = "cifar-10-jpeg-q75-batches-bin";
  public static final String ARCHIVE_NAME = "cifar-10-binary.tar.gz";
  public static final String ARCHIVE_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
  public static final String ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
  public static final int NUM_CLASSES = 10;
  public static final List<String> CLASS_NAMES = List.of(
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

  private Cifar10() {}

  /**
   * Loading options.
   *
   * @param allowDownload whether missing data may be downloaded (default false)
   * @param downloadUri where to download the archive from (default {@link #ARCHIVE_URL})
   * @param downloadMd5 expected md5 of the downloaded archive (default {@link #ARCHIVE_MD5})
   * @param downloadTimeout connect and response-header timeout (default 20 s)
   * @param recordsPerFile records per batch file (default 10,000; smaller values only for tests and sub-sampled
   *     copies with the same layout)
   */
  public record Options(
      boolean allowDownload, URI downloadUri, String downloadMd5, Duration downloadTimeout, int recordsPerFile) {
    public Options {
      Objects.requireNonNull(downloadUri, "downloadUri");
      Objects.requireNonNull(downloadMd5, "downloadMd5");
      Objects.requireNonNull(downloadTimeout, "downloadTimeout");
      if (recordsPerFile < 1) {
        throw new IllegalArgumentException("records per file must be >= 1, was " + recordsPerFile);
      }
      if (downloadTimeout.isNegative() || downloadTimeout.isZero()) {
        throw new IllegalArgumentException("download timeout must be > 0, was " + downloadTimeout);
      }
    }

    /** No download, official layout. */
    public static Options defaults() {
      return new Options(false, URI.create(ARCHIVE_URL), ARCHIVE_MD5, Duration.ofSeconds(20), RECORDS_PER_FILE);
    }

    public Options withDownload(boolean allow) {
      return new Options(allow, downloadUri, downloadMd5, downloadTimeout, recordsPerFile);
    }

    public Options withDownloadSource(URI uri, String md5, Duration timeout) {
      return new Options(allowDownload, uri, md5.toLowerCase(Locale.ROOT), timeout, recordsPerFile);
    }

    public Options withRecordsPerFile(int records) {
      return new Options(allowDownload, downloadUri, downloadMd5, downloadTimeout, records);
    }

    /** Expected size of each batch file. */
    public long fileBytes() { return (long) RECORD_BYTES * recordsPerFile; }
  }

  /** Loads both splits from {@code location} (see the class comment) without downloading. */
  public static DataSplits load(Path location) { return load(location, Options.defaults()); }

  /** Loads both splits, downloading the archive into {@code location} if it is missing and downloads are allowed. */
  public static DataSplits load(Path location, boolean allowDownload) {
    return load(location, Options.defaults().withDownload(allowDownload));
  }

  /** Loads both splits from {@code location} with explicit options. */
  public static DataSplits load(Path location, Options options) {
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(options, "options");
    if (Files.isRegularFile(location)) {
      return readArchive(location, options);
    }
    List<Path> searched = new ArrayList<>();
    if (Files.isDirectory(location)) {
      for (Path dir : List.of(location, location.resolve(EXTRACTED_DIR), location.resolve(SHARED_JPEG_DIR))) {
        searched.add(dir);
        if (Files.isDirectory(dir) && anyBatchFile(dir)) {
          return readDirectory(dir, options);
        }
      }
      Path archive = location.resolve(ARCHIVE_NAME);
      if (Files.isRegularFile(archive)) {
        return readArchive(archive, options);
      }
    } else {
      searched.add(location);
    }
    if (options.allowDownload()) {
      Path archive = location.resolve(ARCHIVE_NAME);
      try {
        download(archive, options);
      } catch (IOException e) {
        throw missing(location, searched, "Downloading " + options.downloadUri() + " failed: " + e + ".", e);
      }
      return readArchive(archive, options);
    }
    throw missing(location, searched,
        "Nothing is downloaded unless asked: add --download to bsq train/eval (or set dataset.download: true in an "
            + "experiment file) to fetch " + options.downloadUri() + " into " + location.toAbsolutePath() + ".", null);
  }

  private static UncheckedIOException missing(Path location, List<Path> searched, String note, IOException cause) {
    Path abs = location.toAbsolutePath();
    List<String> files = new ArrayList<>(TRAIN_FILES);
    files.add(TEST_FILE);
    String message = "CIFAR-10 binary data not found: looked for " + String.join(", ", files) + " in "
        + String.join(", ", searched.stream().map(p -> p.toAbsolutePath().toString()).toList())
        + ", and for the archive " + abs.resolve(ARCHIVE_NAME) + ". " + note
        + " To fix: put the official archive " + ARCHIVE_NAME + " (" + ARCHIVE_URL + ", md5 " + ARCHIVE_MD5
        + ") at " + abs.resolve(ARCHIVE_NAME) + ", or extract it so that the six files are in "
        + abs.resolve(EXTRACTED_DIR) + "/";
    NoSuchFileException nsf = new NoSuchFileException(abs.toString(), null, message);
    if (cause != null) {
      nsf.initCause(cause);
    }
    return new UncheckedIOException(message, nsf);
  }

  private static boolean anyBatchFile(Path dir) {
    if (Files.exists(dir.resolve(TEST_FILE))) {
      return true;
    }
    for (String name : TRAIN_FILES) {
      if (Files.exists(dir.resolve(name))) {
        return true;
      }
    }
    return false;
  }

  /** Reads the six batch files (and {@value #META_FILE} if present) from {@code dir}. */
  public static DataSplits readDirectory(Path dir, Options options) {
    List<String> missing = new ArrayList<>();
    List<String> all = new ArrayList<>(TRAIN_FILES);
    all.add(TEST_FILE);
    for (String name : all) {
      if (!Files.isRegularFile(dir.resolve(name))) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      String message = "CIFAR-10 directory " + dir.toAbsolutePath() + " is incomplete: missing "
          + String.join(", ", missing) + " (a complete set has " + String.join(", ", all) + ")";
      throw new UncheckedIOException(message, new NoSuchFileException(dir.toString(), null, message));
    }
    for (String name : all) { // sizes first: fail fast, before reading anything
      checkSize(dir.resolve(name).toString(), size(dir.resolve(name)), options);
    }
    List<String> classNames = CLASS_NAMES;
    Path meta = dir.resolve(META_FILE);
    if (Files.isRegularFile(meta)) {
      try {
        classNames = parseMeta(Files.readAllBytes(meta), meta.toString());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + meta + ": " + e.getMessage(), e);
      }
    }
    String note = dir.getFileName() != null && dir.getFileName().toString().toLowerCase(Locale.ROOT).contains("jpeg")
        ? " [JPEG-compressed approximation of CIFAR-10, not the lossless original]"
        : "";
    Split train = new Split(TRAIN_FILES.size(), options);
    for (int i = 0; i < TRAIN_FILES.size(); i++) {
      Path file = dir.resolve(TRAIN_FILES.get(i));
      train.put(i, readFile(file, options), file.toString());
    }
    Split test = new Split(1, options);
    Path testFile = dir.resolve(TEST_FILE);
    test.put(0, readFile(testFile, options), testFile.toString());
    String base = dir.toAbsolutePath().toString();
    return new DataSplits(
        train.finish(classNames, "CIFAR-10 train from " + base + "/data_batch_{1..5}.bin" + note),
        test.finish(classNames, "CIFAR-10 test from " + base + "/" + TEST_FILE + note));
  }

  /** Reads one batch file (official layout) into a split of 10,000 images, for inspection and tests. */
  public static LabeledImages readBatchFile(Path file) { return readBatchFile(file, Options.defaults()); }

  /** Reads one batch file into a split of {@code options.recordsPerFile()} images. */
  public static LabeledImages readBatchFile(Path file, Options options) {
    if (!Files.isRegularFile(file)) {
      String message = "CIFAR-10 batch file " + file.toAbsolutePath() + " does not exist";
      throw new UncheckedIOException(message, new NoSuchFileException(file.toString(), null, message));
    }
    checkSize(file.toString(), size(file), options);
    Split split = new Split(1, options);
    split.put(0, readFile(file, options), file.toString());
    return split.finish(CLASS_NAMES, "CIFAR-10 batch " + file.toAbsolutePath());
  }

  /** Reads both splits straight from the gzip-compressed tar archive (official member names, any folder). */
  public static DataSplits readArchive(Path archive, Options options) {
    String label = archive.toAbsolutePath().toString();
    Split train = new Split(TRAIN_FILES.size(), options);
    Split test = new Split(1, options);
    List<String> classNames = new ArrayList<>();
    try (InputStream raw = Files.newInputStream(archive);
        BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16)) {
      buffered.mark(2);
      int b0 = buffered.read();
      int b1 = buffered.read();
      buffered.reset();
      if (b0 != 0x1f || b1 != 0x8b) {
        throw new IllegalStateException(
            "CIFAR-10 archive " + label + " must be gzip-compressed (magic 1f 8b), was "
                + String.format("%02x %02x", b0 & 0xFF, b1 & 0xFF));
      }
      TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(buffered, 1 << 16));
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        if (!entry.isFile()) {
          continue;
        }
        String name = entry.getName();
        long size = entry.getSize();
        String base = name.substring(name.lastIndexOf('/') + 1);
        String member = label + "!/" + name;
        int trainIndex = TRAIN_FILES.indexOf(base);
        if (trainIndex >= 0 || base.equals(TEST_FILE)) {
          checkSize(member, size, options);
          byte[] data = tar.readNBytes((int) size);
          if (data.length != size) {
            throw new IllegalStateException(
                "CIFAR-10 file " + member + " must have " + size + " bytes, was " + data.length + " (truncated archive)");
          }
          if (trainIndex >= 0) {
            train.put(trainIndex, data, member);
          } else {
            test.put(0, data, member);
          }
        } else if (base.equals(META_FILE)) {
          classNames.addAll(parseMeta(tar.readNBytes((int) Math.min(size, 1 << 16)), member));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read CIFAR-10 archive " + label + ": " + e, e);
    }
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < TRAIN_FILES.size(); i++) {
      if (!train.filled[i]) {
        missing.add(TRAIN_FILES.get(i));
      }
    }
    if (!test.filled[0]) {
      missing.add(TEST_FILE);
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "CIFAR-10 archive " + label + " must contain " + String.join(", ", missing) + ", was missing them");
    }
    List<String> names = classNames.isEmpty() ? CLASS_NAMES : classNames;
    return new DataSplits(
        train.finish(names, "CIFAR-10 train from " + label + " (data_batch_{1..5}.bin)"),
        test.finish(names, "CIFAR-10 test from " + label + " (" + TEST_FILE + ")"));
  }

  /** Collects the records of the files of one split into compact arrays. */
  private static final class Split {
    final int recordsPerFile;
    final byte[] pixels;
    final byte[] labels;
    final boolean[] filled;

    Split(int files, Options options) {
      this.recordsPerFile = options.recordsPerFile();
      long n = (long) files * recordsPerFile;
      if (n * IMAGE_BYTES > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("CIFAR-10 split must fit in one array, was " + n + " images");
      }
      this.pixels = new byte[(int) n * IMAGE_BYTES];
      this.labels = new byte[(int) n];
      this.filled = new boolean[files];
    }

    void put(int fileIndex, byte[] data, String fileName) {
      if (filled[fileIndex]) {
        throw new IllegalStateException("CIFAR-10 file " + fileName + " must occur once, was repeated");
      }
      int first = fileIndex * recordsPerFile;
      for (int r = 0; r < recordsPerFile; r++) {
        int off = r * RECORD_BYTES;
        int label = data[off] & 0xFF;
        if (label >= NUM_CLASSES) {
          throw new IllegalStateException(
              "CIFAR-10 label must be in 0..9, was " + label + " (file " + fileName + ", record " + r + " at byte "
                  + off + ")");
        }
        labels[first + r] = (byte) label;
        System.arraycopy(data, off + 1, pixels, (first + r) * IMAGE_BYTES, IMAGE_BYTES);
      }
      filled[fileIndex] = true;
    }

    LabeledImages finish(List<String> classNames, String source) {
      MessageDigest sha = Digests.sha256(); // = SHA-256 of the files concatenated in canonical order
      byte[] one = new byte[1];
      for (int i = 0; i < labels.length; i++) {
        one[0] = labels[i];
        sha.update(one);
        sha.update(pixels, i * IMAGE_BYTES, IMAGE_BYTES);
      }
      return new LabeledImages(
          pixels, labels, new Shape(CHANNELS, SIDE, SIDE), classNames, Digests.sha256Label(sha), source);
    }
  }

  private static void checkSize(String fileName, long actual, Options options) {
    long expected = options.fileBytes();
    if (actual != expected) {
      throw new IllegalStateException(
          "CIFAR-10 file " + fileName + " size must be " + expected + " bytes (" + options.recordsPerFile()
              + " records of " + RECORD_BYTES + "), was " + actual + " bytes (truncated or corrupt)");
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the size of " + file + ": " + e.getMessage(), e);
    }
  }

  private static byte[] readFile(Path file, Options options) {
    byte[] data;
    try {
      data = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read CIFAR-10 file " + file + ": " + e.getMessage(), e);
    }
    checkSize(file.toString(), data.length, options); // changed since the size check?
    return data;
  }

  private static List<String> parseMeta(byte[] bytes, String fileName) {
    List<String> names = new String(bytes, StandardCharsets.UTF_8).lines().map(String::strip)
        .filter(s -> !s.isEmpty()).toList();
    if (names.size() != NUM_CLASSES) {
      throw new IllegalStateException(
          "CIFAR-10 class name file " + fileName + " must have " + NUM_CLASSES + " non-empty lines, was "
              + names.size());
    }
    return names;
  }

  /** Downloads the archive to {@code target} through a temporary file, verifying the md5 before the final move. */
  private static void download(Path target, Options options) throws IOException {
    Files.createDirectories(target.toAbsolutePath().getParent());
    Path part = target.resolveSibling(target.getFileName() + ".part");
    HttpClient client = HttpClient.newBuilder()
        .connectTimeout(options.downloadTimeout())
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
    HttpRequest request = HttpRequest.newBuilder(options.downloadUri()).timeout(options.downloadTimeout()).GET().build();
    HttpResponse<InputStream> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while downloading " + options.downloadUri(), e);
    }
    MessageDigest md5 = Digests.md5();
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException("HTTP status must be 200, was " + response.statusCode());
      }
      try (InputStream in = new DigestInputStream(body, md5); OutputStream out = Files.newOutputStream(part)) {
        in.transferTo(out);
      }
      String actual = Digests.hex(md5.digest());
      if (!actual.equals(options.downloadMd5())) {
        throw new IOException(
            "md5 of the downloaded archive must be " + options.downloadMd5() + ", was " + actual);
      }
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(part);
    }
  }
}
