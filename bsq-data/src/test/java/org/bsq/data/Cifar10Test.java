package org.bsq.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10Test {
  private static final int R = 4; // records per synthetic file
  private static final Cifar10.Options SMALL = Cifar10.Options.defaults().withRecordsPerFile(R);
  private static final String META = "a0\na1\n\na2\na3\na4\na5\na6\na7\na8\na9\n";

  @TempDir Path tmp;

  private static String sha256(byte[]... parts) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    for (byte[] p : parts) {
      sha.update(p);
    }
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }

  private static void assertSynthetic(DataSplits s, List<String> classNames) {
    assertEquals(5 * R, s.train().size());
    assertEquals(R, s.test().size());
    assertEquals(3, s.train().channels());
    assertEquals(32, s.train().height());
    assertEquals(32, s.train().width());
    assertEquals(classNames, s.train().classNames());
    for (int i = 0; i < 5 * R; i++) {
      assertEquals(TestData.label(i), s.train().label(i));
      byte[] image = s.train().image(i);
      for (int j = 0; j < Cifar10.IMAGE_BYTES; j += 97) {
        assertEquals(TestData.pixel(i, j), image[j], "train image " + i + " byte " + j);
      }
    }
    // plane layout: byte 1024*c + 32*y + x is channel c, row y, column x
    assertEquals(TestData.pixel(7, 1024 * 2 + 32 * 5 + 9) & 0xFF, s.train().pixel(7, 2, 5, 9));
    for (int i = 0; i < R; i++) {
      assertEquals(TestData.label(1000 + i), s.test().label(i));
      assertEquals(TestData.pixel(1000 + i, 3000) & 0xFF, s.test().pixel(i, 2, 29, 24));
    }
  }

  @Test
  void readsDirectoryLayoutWithMetaAndChecksum() throws Exception {
    Map<String, byte[]> files = TestData.cifarFiles(R, META);
    TestData.writeAll(tmp, files);
    DataSplits s = Cifar10.load(tmp, SMALL);
    assertSynthetic(s, List.of("a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"));
    assertEquals(sha256(files.get("data_batch_1.bin"), files.get("data_batch_2.bin"), files.get("data_batch_3.bin"),
        files.get("data_batch_4.bin"), files.get("data_batch_5.bin")), s.train().checksum());
    assertEquals(sha256(files.get("test_batch.bin")), s.test().checksum());
    assertTrue(s.train().source().contains(tmp.toAbsolutePath().toString()), s.train().source());
  }

  @Test
  void findsExtractedSubdirectoryAndDefaultsClassNames() throws Exception {
    TestData.writeAll(tmp.resolve("cifar-10-batches-bin"), TestData.cifarFiles(R, null));
    DataSplits s = Cifar10.load(tmp, SMALL);
    assertSynthetic(s, Cifar10.CLASS_NAMES);
  }

  @Test
  void findsSharedJpegFolderNameAndMarksIt() throws Exception {
    TestData.writeAll(tmp.resolve(Cifar10.SHARED_JPEG_DIR), TestData.cifarFiles(R, null));
    DataSplits s = Cifar10.load(tmp, SMALL);
    assertSynthetic(s, Cifar10.CLASS_NAMES);
    assertTrue(s.train().source().contains("JPEG"), s.train().source());
  }

  @Test
  void truncatedOfficialFileNamesFileExpectedAndActualSize() throws Exception {
    // sparse full-size files with the official layout; one is one byte short
    for (String name : List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
        "data_batch_5.bin", "test_batch.bin")) {
      try (RandomAccessFile f = new RandomAccessFile(tmp.resolve(name).toFile(), "rw")) {
        f.setLength(name.equals("data_batch_3.bin") ? 30_729_999L : 30_730_000L);
      }
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Cifar10.load(tmp));
    assertTrue(e.getMessage().contains(tmp.resolve("data_batch_3.bin").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("30730000"), e.getMessage());
    assertTrue(e.getMessage().contains("30729999"), e.getMessage());
  }

  @Test
  void badLabelNamesFileAndRecord() throws Exception {
    Map<String, byte[]> files = TestData.cifarFiles(R, null);
    files.get("data_batch_2.bin")[2 * Cifar10.RECORD_BYTES] = 10; // record 2
    TestData.writeAll(tmp, files);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Cifar10.load(tmp, SMALL));
    assertTrue(e.getMessage().contains("data_batch_2.bin"), e.getMessage());
    assertTrue(e.getMessage().contains("record 2"), e.getMessage());
    assertTrue(e.getMessage().contains("was 10"), e.getMessage());
  }

  @Test
  void incompleteDirectoryListsMissingFiles() throws Exception {
    Map<String, byte[]> files = TestData.cifarFiles(R, null);
    files.remove("test_batch.bin");
    TestData.writeAll(tmp, files);
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Cifar10.load(tmp, SMALL));
    assertTrue(e.getMessage().contains("missing test_batch.bin"), e.getMessage());
  }

  @Test
  void readsTarGzArchiveDirectlyWithSameChecksum() throws Exception {
    Map<String, byte[]> files = TestData.cifarFiles(R, META);
    Path archive = tmp.resolve("cifar-10-binary.tar.gz");
    Files.write(archive, TestData.tarGz("cifar-10-batches-bin", files));
    DataSplits fromArchive = Cifar10.load(tmp, SMALL); // directory holding the archive
    assertSynthetic(fromArchive, List.of("a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"));
    DataSplits fromFile = Cifar10.load(archive, SMALL); // the archive itself
    assertEquals(fromArchive.train().checksum(), fromFile.train().checksum());
    Path dir = tmp.resolve("extracted");
    TestData.writeAll(dir, files);
    assertEquals(Cifar10.load(dir, SMALL).train().checksum(), fromArchive.train().checksum());
    assertEquals(Cifar10.load(dir, SMALL).test().checksum(), fromArchive.test().checksum());
  }

  @Test
  void archiveWithTruncatedMemberOrMissingMemberFails() throws Exception {
    Map<String, byte[]> files = TestData.cifarFiles(R, null);
    files.put("data_batch_4.bin", java.util.Arrays.copyOf(files.get("data_batch_4.bin"), 3 * Cifar10.RECORD_BYTES));
    Path archive = tmp.resolve("a.tar.gz");
    Files.write(archive, TestData.tarGz("cifar-10-batches-bin", files));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Cifar10.load(archive, SMALL));
    assertTrue(e.getMessage().contains("data_batch_4.bin"), e.getMessage());
    assertTrue(e.getMessage().contains(String.valueOf(R * Cifar10.RECORD_BYTES)), e.getMessage());
    assertTrue(e.getMessage().contains(String.valueOf(3 * Cifar10.RECORD_BYTES)), e.getMessage());

    Map<String, byte[]> partial = TestData.cifarFiles(R, null);
    partial.remove("data_batch_5.bin");
    Files.write(archive, TestData.tarGz(null, partial));
    IllegalStateException e2 = assertThrows(IllegalStateException.class, () -> Cifar10.load(archive, SMALL));
    assertTrue(e2.getMessage().contains("data_batch_5.bin"), e2.getMessage());

    Files.write(archive, new byte[] {1, 2, 3, 4});
    IllegalStateException e3 = assertThrows(IllegalStateException.class, () -> Cifar10.load(archive, SMALL));
    assertTrue(e3.getMessage().contains("gzip"), e3.getMessage());
  }

  @Test
  void missingDataMessageSaysWhatWhereAndHowToFix() {
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Cifar10.load(tmp));
    String m = e.getMessage();
    assertInstanceOf(NoSuchFileException.class, e.getCause());
    for (String expected : List.of("data_batch_1.bin", "data_batch_5.bin", "test_batch.bin",
        tmp.toAbsolutePath().toString(), tmp.resolve("cifar-10-batches-bin").toAbsolutePath().toString(),
        tmp.resolve("cifar-10-binary.tar.gz").toAbsolutePath().toString(), Cifar10.ARCHIVE_URL, Cifar10.ARCHIVE_MD5,
        "Nothing is downloaded unless asked: add --download")) {
      assertTrue(m.contains(expected), "message lacks '" + expected + "': " + m);
    }
    UncheckedIOException absent = assertThrows(UncheckedIOException.class, () -> Cifar10.load(tmp.resolve("nope")));
    assertTrue(absent.getMessage().contains(tmp.resolve("nope").toAbsolutePath().toString()), absent.getMessage());
  }

  @Test
  void failedDownloadIsReportedWithTheMissingMessage() {
    Cifar10.Options options = SMALL.withDownload(true)
        .withDownloadSource(URI.create("http://127.0.0.1:1/cifar-10-binary.tar.gz"), Cifar10.ARCHIVE_MD5,
            Duration.ofSeconds(2));
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Cifar10.load(tmp, options));
    assertTrue(e.getMessage().contains("Downloading http://127.0.0.1:1/cifar-10-binary.tar.gz failed"), e.getMessage());
    assertTrue(e.getMessage().contains("test_batch.bin"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("cifar-10-binary.tar.gz")));
    assertFalse(Files.exists(tmp.resolve("cifar-10-binary.tar.gz.part")));
  }

  @Test
  void downloadVerifiesMd5ThenReadsTheArchive() throws Exception {
    byte[] archive = TestData.tarGz("cifar-10-batches-bin", TestData.cifarFiles(R, null));
    String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(archive));
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/c.tar.gz", exchange -> {
      exchange.sendResponseHeaders(200, archive.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(archive);
      }
    });
    server.start();
    try {
      URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/c.tar.gz");
      Path wrongDir = tmp.resolve("wrong");
      Cifar10.Options wrong = SMALL.withDownload(true).withDownloadSource(uri, "0".repeat(32), Duration.ofSeconds(5));
      UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Cifar10.load(wrongDir, wrong));
      assertTrue(e.getMessage().contains("md5"), e.getMessage());
      assertFalse(Files.exists(wrongDir.resolve("cifar-10-binary.tar.gz")));

      Path dir = tmp.resolve("data");
      Cifar10.Options ok = SMALL.withDownload(true).withDownloadSource(uri, md5, Duration.ofSeconds(5));
      assertSynthetic(Cifar10.load(dir, ok), Cifar10.CLASS_NAMES);
      assertArrayEquals(archive, Files.readAllBytes(dir.resolve("cifar-10-binary.tar.gz")));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void anArchiveWithGnuLongNamesIsRead() throws Exception {
    // member names longer than tar's 100 bytes (GNU 'L' entries) are read as the full name
    String folder = "x/".repeat(60) + "cifar-10-batches-bin";
    Map<String, byte[]> files = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 5; i++) {
      files.put("data_batch_" + (i + 1) + ".bin", TestData.cifarFile(i, R));
    }
    files.put("test_batch.bin", TestData.cifarFile(9, R));
    Path archive = tmp.resolve("cifar-10-binary.tar.gz");
    Files.write(archive, TestData.tarGz(folder, files));
    DataSplits s = Cifar10.readArchive(archive, SMALL);
    assertEquals(5 * R, s.train().size());
    assertEquals(R, s.test().size());
  }

  @Test
  void readBatchFileReadsOneFile() throws IOException {
    Path file = tmp.resolve("data_batch_1.bin");
    Files.write(file, TestData.cifarFile(0, R));
    LabeledImages one = Cifar10.readBatchFile(file, SMALL);
    assertEquals(R, one.size());
    assertEquals(TestData.label(3), one.label(3));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Cifar10.readBatchFile(file));
    assertTrue(e.getMessage().contains("30730000") && e.getMessage().contains(String.valueOf(R * 3073)),
        e.getMessage());
  }
}
