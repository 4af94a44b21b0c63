package org.bsq.core.provenance;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The checksums that data sets, weight files and run records carry: SHA-256 labels and MD5 hex strings. */
public final class Digests {
  private Digests() {}

  /** A fresh SHA-256 digest. */
  public static MessageDigest sha256() { return create("SHA-256"); }

  /** A fresh MD5 digest. */
  public static MessageDigest md5() { return create("MD5"); }

  private static MessageDigest create(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("message digest " + algorithm + " must be available, was missing", e);
    }
  }

  /** Lower-case hex of a digest. */
  public static String hex(byte[] digest) { return HexFormat.of().formatHex(digest); }

  /** {@code "sha256:<hex>"} of a finished SHA-256 digest. */
  public static String sha256Label(MessageDigest sha256) { return "sha256:" + hex(sha256.digest()); }

  /** {@code "sha256:<hex>"} of {@code bytes}. */
  public static String sha256Label(byte[] bytes) { return "sha256:" + hex(sha256().digest(bytes)); }

  /** MD5 hex of {@code bytes}. */
  public static String md5Hex(byte[] bytes) { return hex(md5().digest(bytes)); }
}
