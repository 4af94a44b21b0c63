package org.bsq.data;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.bsq.core.graph.Shape;

/**
 * Registry of the data sets by name.
 *
 * <table>
 *   <caption>Registered names</caption>
 *   <tr><th>name</th><th>data dir</th><th>normalization</th><th>default augmentation</th></tr>
 *   <tr><td>{@code cifar10}</td><td>yes: see {@link Cifar10#load(Path)}</td><td>{@link Normalization#CIFAR10}</td>
 *       <td>{@link Augmentation#CIFAR10}</td></tr>
 *   <tr><td>{@code fashion-mnist}</td><td>yes: IDX directory (or its {@code fashion-mnist/})</td>
 *       <td>{@link Normalization#FASHION_MNIST}</td><td>crop 28 / pad 2 + flip</td></tr>
 *   <tr><td>{@code mnist}</td><td>yes: IDX directory (or its {@code mnist/})</td>
 *       <td>{@link Normalization#MNIST}</td><td>none</td></tr>
 *   <tr><td>{@code embedded}, {@code fashion-mnist-embedded}</td><td>no</td>
 *       <td>{@link Normalization#FASHION_MNIST}</td><td>crop 28 / pad 2 + flip</td></tr>
 * </table>
 *
 * Names are matched case-insensitively; an unknown name is an {@link IllegalArgumentException} listing the known names
 * in sorted order.
 */
public final class DataSets {
  public static final String CIFAR10 = "cifar10";
  public static final String FASHION_MNIST = "fashion-mnist";
  public static final String MNIST = "mnist";
  public static final String EMBEDDED = "embedded";
  public static final String FASHION_MNIST_EMBEDDED = "fashion-mnist-embedded";

  private static final List<String> MNIST_CLASSES =
      IntStream.range(0, 10).mapToObj(Integer::toString).toList();

  private static final Map<String, DataSetInfo> INFOS = infos(
      new DataSetInfo(CIFAR10, "CIFAR-10, official binary version (50,000 train / 10,000 test, 32x32 RGB)",
          new Shape(3, 32, 32), Cifar10.CLASS_NAMES, true),
      new DataSetInfo(FASHION_MNIST, "Fashion-MNIST IDX files (60,000 train / 10,000 test, 28x28 grey)",
          new Shape(1, 28, 28), FashionMnist.CLASS_NAMES, true),
      new DataSetInfo(MNIST, "MNIST IDX files (60,000 train / 10,000 test, 28x28 grey)",
          new Shape(1, 28, 28), MNIST_CLASSES, true),
      new DataSetInfo(EMBEDDED, "embedded Fashion-MNIST subset (6,000 train / 1,000 test, 28x28 grey, no download)",
          new Shape(1, 28, 28), FashionMnist.CLASS_NAMES, false),
      new DataSetInfo(FASHION_MNIST_EMBEDDED, "alias of 'embedded'",
          new Shape(1, 28, 28), FashionMnist.CLASS_NAMES, false));

  private DataSets() {}

  private static Map<String, DataSetInfo> infos(DataSetInfo... infos) {
    TreeMap<String, DataSetInfo> map = new TreeMap<>();
    for (DataSetInfo info : infos) {
      map.put(info.name(), info);
    }
    return java.util.Collections.unmodifiableMap(map);
  }

  /** Registered names, sorted. */
  public static List<String> names() { return List.copyOf(INFOS.keySet()); }

  /** Registry entries, sorted by name. */
  public static List<DataSetInfo> infos() { return List.copyOf(INFOS.values()); }

  /** The entry of {@code name}. */
  public static DataSetInfo info(String name) { return INFOS.get(canonical(name)); }

  /** Loads {@code name} without downloading; {@code dataDir} may be null for data sets that need none. */
  public static DataSet load(String name, Path dataDir) { return load(name, dataDir, false); }

  /**
   * Loads {@code name}. {@code allowDownload} only matters for {@code cifar10} (the official archive is fetched into
   * {@code dataDir} when no data is found there).
   *
   * @throws IllegalArgumentException for an unknown name, or a missing {@code dataDir} where one is needed
   * @throws UncheckedIOException when the files are not found (the message says where to put them)
   */
  public static DataSet load(String name, Path dataDir, boolean allowDownload) {
    return load(name, dataDir, allowDownload, null);
  }

  /**
   * As {@link #load(String, Path, boolean)}, downloading from {@code downloadFrom} (a mirror of the official archive,
   * which must have the official md5) instead of the official address when it is not null.
   */
  public static DataSet load(String name, Path dataDir, boolean allowDownload, java.net.URI downloadFrom) {
    String key = canonical(name);
    DataSetInfo info = INFOS.get(key);
    if (info.needsDataDir() && dataDir == null) {
      throw new IllegalArgumentException("data set '" + key + "' needs a data directory, was none");
    }
    switch (key) {
      case CIFAR10: {
        Cifar10.Options options = Cifar10.Options.defaults().withDownload(allowDownload);
        if (downloadFrom != null) {
          options = options.withDownloadSource(downloadFrom, Cifar10.ARCHIVE_MD5, options.downloadTimeout());
        }
        DataSplits s = Cifar10.load(dataDir, options);
        return new DataSet(info, s.train(), s.test(), Normalization.CIFAR10, Augmentation.CIFAR10);
      }
      case FASHION_MNIST: {
        DataSplits s = FashionMnist.load(dataDir);
        return new DataSet(info, s.train(), s.test(), FashionMnist.NORMALIZATION, FashionMnist.AUGMENTATION);
      }
      case MNIST: {
        DataSplits s = Idx.loadDirectory(dataDir, List.of("mnist", "MNIST/raw"), "MNIST", MNIST_CLASSES);
        return new DataSet(info, s.train(), s.test(), Normalization.MNIST, null);
      }
      case EMBEDDED:
      case FASHION_MNIST_EMBEDDED: {
        DataSplits s = EmbeddedFashionMnist.load();
        return new DataSet(info, s.train(), s.test(), FashionMnist.NORMALIZATION, FashionMnist.AUGMENTATION);
      }
      default:
        throw new IllegalStateException("registered data set must have a loader, was none for " + key);
    }
  }

  private static String canonical(String name) {
    String key = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
    if (!INFOS.containsKey(key)) {
      throw new IllegalArgumentException("data set name must be one of " + names() + ", was '" + name + "'");
    }
    return key;
  }
}
