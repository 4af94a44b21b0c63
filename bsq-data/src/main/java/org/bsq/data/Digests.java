package org.bsq.data;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Small helpers around {@link MessageDigest} (package-private). */
final class Digests {
  private Digests() {}

  static MessageDigest sha256() { return create("SHA-256"); }

  static MessageDigest md5() { return create("MD5"); }

  static MessageDigest create(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("message digest " + algorithm + " must be available, was missing", e);
    }
  }

  static String hex(byte[] digest) { return HexFormat.of().formatHex(digest); }

  /** {@code "sha256:<hex>"} of a finished SHA-256 digest. */
  static String sha256Label(MessageDigest sha256) { return "sha256:" + hex(sha256.digest()); }
}
