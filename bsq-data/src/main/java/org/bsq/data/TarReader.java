package org.bsq.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal streaming reader of (uncompressed) tar archives: POSIX ustar, old v7 headers, GNU long names
 * ({@code 'L'}) and pax extended headers ({@code 'x'}, {@code path} only). Package-private; enough for the
 * CIFAR-10 archive.
 */
final class TarReader {
  private static final int BLOCK = 512;

  /** One regular-file entry. */
  interface EntryVisitor {
    /**
     * Called for every regular file. {@code content} yields exactly {@code size} bytes; what the visitor leaves
     * unread is skipped.
     */
    void visit(String name, long size, InputStream content) throws IOException;
  }

  private TarReader() {}

  /** Visits every regular file of the tar stream {@code in}, in archive order. {@code label} names it in errors. */
  static void forEachFile(InputStream in, String label, EntryVisitor visitor) throws IOException {
    byte[] header = new byte[BLOCK];
    String pendingLongName = null;
    while (true) {
      if (!readBlock(in, header)) {
        return; // end of stream without the two zero blocks: accepted (some writers omit them)
      }
      if (isZero(header)) {
        return;
      }
      verifyChecksum(header, label);
      long size = parseNumber(header, 124, 12, label);
      if (size < 0) {
        throw new IllegalStateException("tar entry size in " + label + " must be >= 0, was " + size);
      }
      char type = (char) header[156];
      String name = pendingLongName != null ? pendingLongName : headerName(header);
      pendingLongName = null;
      if (type == 'L' || type == 'x') {
        byte[] data = readFully(in, size, label);
        skip(in, padding(size), label);
        if (type == 'L') {
          pendingLongName = cString(data, 0, data.length);
        } else {
          pendingLongName = paxPath(data);
        }
        continue;
      }
      if (type == '0' || type == '\0' || type == '7') {
        BoundedInputStream content = new BoundedInputStream(in, size);
        visitor.visit(name, size, content);
        skip(in, content.remaining, label);
      } else {
        skip(in, size, label); // directories, links, global pax headers, ...
      }
      skip(in, padding(size), label);
    }
  }

  private static long padding(long size) { return (BLOCK - size % BLOCK) % BLOCK; }

  private static String headerName(byte[] header) {
    String name = cString(header, 0, 100);
    String magic = new String(header, 257, 5, StandardCharsets.US_ASCII);
    if ("ustar".equals(magic)) {
      String prefix = cString(header, 345, 155);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
    }
    return name;
  }

  private static String paxPath(byte[] data) {
    // records: "<length> <key>=<value>\n"
    String text = new String(data, StandardCharsets.UTF_8);
    String path = null;
    int pos = 0;
    while (pos < text.length()) {
      int space = text.indexOf(' ', pos);
      if (space < 0) {
        break;
      }
      int length = Integer.parseInt(text.substring(pos, space).trim());
      String record = text.substring(space + 1, Math.min(text.length(), pos + length - 1));
      if (record.startsWith("path=")) {
        path = record.substring(5);
      }
      pos += length;
    }
    return path;
  }

  private static String cString(byte[] bytes, int offset, int length) {
    int end = offset;
    while (end < offset + length && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
  }

  /** Octal (NUL/space terminated) or GNU base-256 number. */
  private static long parseNumber(byte[] header, int offset, int length, String label) {
    if ((header[offset] & 0x80) != 0) {
      long value = header[offset] & 0x7F;
      for (int i = offset + 1; i < offset + length; i++) {
        value = (value << 8) | (header[i] & 0xFF);
      }
      return value;
    }
    long value = 0;
    boolean any = false;
    for (int i = offset; i < offset + length; i++) {
      byte b = header[i];
      if (b == 0 || (b == ' ' && any)) {
        break;
      }
      if (b == ' ') {
        continue;
      }
      if (b < '0' || b > '7') {
        throw new IllegalStateException(
            "tar header field in " + label + " must be octal, was '" + new String(header, offset, length,
                StandardCharsets.US_ASCII).trim() + "'");
      }
      value = value * 8 + (b - '0');
      any = true;
    }
    return value;
  }

  private static void verifyChecksum(byte[] header, String label) {
    long stored = parseNumber(header, 148, 8, label);
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < BLOCK; i++) {
      int b = (i >= 148 && i < 156) ? ' ' : header[i];
      unsigned += b & 0xFF;
      signed += (i >= 148 && i < 156) ? ' ' : header[i];
    }
    if (stored != unsigned && stored != signed) {
      throw new IllegalStateException(
          "tar header checksum in " + label + " must be " + unsigned + ", was " + stored + " (not a tar archive, or corrupt)");
    }
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  /** Reads one block; false at a clean end of stream, error on a partial block. */
  private static boolean readBlock(InputStream in, byte[] block) throws IOException {
    int n = in.readNBytes(block, 0, BLOCK);
    if (n == 0) {
      return false;
    }
    if (n != BLOCK) {
      throw new EOFException("tar archive ends inside a header block, after " + n + " of " + BLOCK + " bytes");
    }
    return true;
  }

  private static byte[] readFully(InputStream in, long size, String label) throws IOException {
    if (size > (1 << 20)) {
      throw new IllegalStateException("tar extended header in " + label + " must be <= 1 MiB, was " + size);
    }
    byte[] data = in.readNBytes((int) size);
    if (data.length != size) {
      throw new EOFException("tar archive " + label + " ends inside an entry");
    }
    return data;
  }

  private static void skip(InputStream in, long n, String label) throws IOException {
    try {
      in.skipNBytes(n);
    } catch (EOFException e) {
      throw new EOFException("tar archive " + label + " ends inside an entry");
    }
  }

  /** A view of the next {@code remaining} bytes of a stream; close does nothing. */
  private static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    long remaining;

    BoundedInputStream(InputStream in, long size) {
      this.in = in;
      this.remaining = size;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException("tar archive ends inside an entry, " + remaining + " bytes missing");
      }
      remaining--;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n < 0) {
        throw new EOFException("tar archive ends inside an entry, " + remaining + " bytes missing");
      }
      remaining -= n;
      return n;
    }

    @Override
    public void close() {}
  }
}
