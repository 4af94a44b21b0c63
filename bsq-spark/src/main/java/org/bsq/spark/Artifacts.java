package org.bsq.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.LocalFileSystem;

/**
 * Run folders under a Hadoop file system URI ({@code hdfs://}, {@code s3a://}, {@code file://}, anything the cluster's
 * Hadoop has a file system for): run {@code ID} is the folder {@code URI/ID}. A folder is written under a temporary
 * name ({@code URI/.ID.tmp-UUID}) and renamed into place, so a half-copied folder is never taken for a run; the
 * previous copy is moved aside first and deleted after. Not thread-safe for one id (callers serialize uploads of a
 * run).
 */
public final class Artifacts {
  private final URI root;
  private final FileSystem fs;
  private final Configuration conf;

  private Artifacts(URI root, FileSystem fs, Configuration conf) {
    this.root = root;
    this.fs = fs;
    this.conf = conf;
  }

  /**
   * The artifacts location {@code uri}, with Hadoop options ({@code spark.hadoop.KEY} entries of {@code sparkConf}
   * become {@code KEY}, as Spark does).
   *
   * @throws IllegalArgumentException when the URI has no scheme or no file system serves it
   */
  public static Artifacts open(String uri, Map<String, String> sparkConf) {
    URI u;
    try {
      u = URI.create(uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--artifacts must be a URI such as hdfs://NAMENODE/PATH, s3a://BUCKET/PATH "
          + "or file:///PATH, was '" + uri + "': " + e.getMessage(), e);
    }
    if (u.getScheme() == null) {
      throw new IllegalArgumentException("--artifacts must be a URI with a scheme (hdfs://, s3a://, file:///...), was '"
          + uri + "'");
    }
    Configuration conf = new Configuration();
    sparkConf.forEach((k, v) -> {
      if (k.startsWith("spark.hadoop.")) {
        conf.set(k.substring("spark.hadoop.".length()), v);
      }
    });
    try {
      FileSystem fs = FileSystem.get(u, conf);
      if (fs instanceof LocalFileSystem local) {
        local.setWriteChecksum(false); // no .crc files beside the run's own files
        local.setVerifyChecksum(false);
      }
      fs.mkdirs(new org.apache.hadoop.fs.Path(u));
      return new Artifacts(u, fs, conf);
    } catch (IOException e) {
      throw new IllegalArgumentException("--artifacts " + uri + " cannot be opened: " + e.getMessage(), e);
    }
  }

  /** The URI of run {@code id}'s folder, spelled as the root was given ({@code file:///x/ID}, not Hadoop's file:/x/ID). */
  public String uri(String id) {
    return root + "/" + id;
  }

  private org.apache.hadoop.fs.Path path(String name) {
    return new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(root), name);
  }

  /** Whether run {@code id} has a folder there. */
  public boolean exists(String id) {
    try {
      return fs.exists(path(id));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + uri(id) + ": " + e.getMessage(), e);
    }
  }

  /** Replaces the local folder {@code local} with a copy of run {@code id}'s folder. */
  public void download(String id, Path local) {
    try {
      deleteLocal(local);
      Files.createDirectories(local.getParent());
      if (!FileUtil.copy(fs, path(id), localRaw(), new org.apache.hadoop.fs.Path(local.toUri()), false, conf)) {
        throw new IOException("copy returned false");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + uri(id) + " to " + local + ": " + e.getMessage(), e);
    }
  }

  /** Copies the local folder {@code local} to run {@code id}'s folder: a temporary name, then a rename. */
  public void upload(Path local, String id) {
    String token = UUID.randomUUID().toString();
    org.apache.hadoop.fs.Path tmp = path("." + id + ".tmp-" + token);
    org.apache.hadoop.fs.Path old = path("." + id + ".old-" + token);
    org.apache.hadoop.fs.Path target = path(id);
    try {
      if (!FileUtil.copy(localRaw(), new org.apache.hadoop.fs.Path(local.toUri()), fs, tmp, false, conf)) {
        throw new IOException("copy returned false");
      }
      boolean moved = false;
      if (fs.exists(target)) {
        if (!fs.rename(target, old)) {
          throw new IOException("cannot move the previous copy aside to " + old);
        }
        moved = true;
      }
      if (!fs.rename(tmp, target)) {
        throw new IOException("cannot rename " + tmp + " to " + target);
      }
      if (moved) {
        fs.delete(old, true);
      }
    } catch (IOException e) {
      try {
        fs.delete(tmp, true);
      } catch (IOException ignored) {
        // the temporary copy is left; its name marks it as such
      }
      throw new UncheckedIOException("cannot copy " + local + " to " + uri(id) + ": " + e.getMessage(), e);
    }
  }

  /** The names directly under the root (tests and docs: no temporary copy is left behind). */
  public java.util.List<String> list() {
    try {
      return Stream.of(fs.listStatus(new org.apache.hadoop.fs.Path(root))).map(FileStatus::getPath)
          .map(org.apache.hadoop.fs.Path::getName).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
    }
  }

  /** The local file system without checksum files. */
  private FileSystem localRaw() throws IOException {
    return FileSystem.getLocal(conf).getRaw();
  }

  static void deleteLocal(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
