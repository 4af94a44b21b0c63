package org.bsq.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Regenerates the embedded Fashion-MNIST subset (the resource folder of {@link EmbeddedFashionMnist}) from the full
 * data set, e.g. as installed by the Debian package {@code dataset-fashion-mnist}:
 *
 * <pre>
 * apt-get install dataset-fashion-mnist
 * mvn -o -q -pl bsq-data test-compile
 * java -cp bsq-core/target/classes:bsq-data/target/classes:bsq-data/target/test-classes \
 *     org.bsq.data.EmbeddedSubsetGenerator /usr/share/datasets/fashion-mnist \
 *     bsq-data/src/main/resources/org/bsq/data/embedded/fashion-mnist
 * </pre>
 *
 * Rule: walk each official split in file order and keep an image while its class has fewer than
 * {@link EmbeddedFashionMnist#TRAIN_PER_CLASS} (train) or {@link EmbeddedFashionMnist#TEST_PER_CLASS} (test) kept
 * images; the kept images stay in file order. Output: gzip (level 9) IDX files with the standard names. The build never
 * runs this; {@code EmbeddedFashionMnistTest} checks (when the package is installed) that it reproduces the committed
 * content.
 */
public final class EmbeddedSubsetGenerator {
  private EmbeddedSubsetGenerator() {}

  public static void main(String[] args) throws IOException {
    Path source = Path.of(args.length > 0 ? args[0] : FashionMnist.DEBIAN_DIR);
    Path target = Path.of(args.length > 1 ? args[1] : "bsq-data/src/main/resources/org/bsq/data/embedded/fashion-mnist");
    generate(source, target);
    for (String name : new String[] {Idx.TRAIN_IMAGES, Idx.TRAIN_LABELS, Idx.TEST_IMAGES, Idx.TEST_LABELS}) {
      Path file = target.resolve(name + ".gz");
      System.out.println(name + ".gz  " + Files.size(file) + " bytes");
    }
  }

  /** Writes the four subset files (gzip, {@code <standard name>.gz}) into {@code target} (created if needed). */
  public static void generate(Path source, Path target) throws IOException { generate(source, target, true); }

  /** As {@link #generate(Path, Path)}; with {@code gzip == false} writes raw files under the standard names. */
  public static void generate(Path source, Path target, boolean gzip) throws IOException {
    Files.createDirectories(target);
    subset(source, Idx.TRAIN_IMAGES, Idx.TRAIN_LABELS, EmbeddedFashionMnist.TRAIN_PER_CLASS, target, gzip);
    subset(source, Idx.TEST_IMAGES, Idx.TEST_LABELS, EmbeddedFashionMnist.TEST_PER_CLASS, target, gzip);
  }

  private static void subset(
      Path source, String imagesName, String labelsName, int perClass, Path target, boolean gzip) {
    Idx.Images images = Idx.readImages(resolve(source, imagesName));
    byte[] labels = Idx.readLabels(resolve(source, labelsName));
    int imageBytes = images.rows() * images.cols();
    int classes = 10;
    byte[] outPixels = new byte[perClass * classes * imageBytes];
    byte[] outLabels = new byte[perClass * classes];
    int[] kept = new int[classes];
    int n = 0;
    for (int i = 0; i < images.count() && n < outLabels.length; i++) {
      int label = labels[i] & 0xFF;
      if (kept[label] < perClass) {
        kept[label]++;
        outLabels[n] = labels[i];
        System.arraycopy(images.pixels(), i * imageBytes, outPixels, n * imageBytes, imageBytes);
        n++;
      }
    }
    if (n != outLabels.length) {
      throw new IllegalStateException(
          "subset of " + imagesName + " must have " + outLabels.length + " images, was " + n);
    }
    String suffix = gzip ? ".gz" : "";
    Idx.writeImages(target.resolve(imagesName + suffix), n, images.rows(), images.cols(), outPixels, gzip);
    Idx.writeLabels(target.resolve(labelsName + suffix), outLabels, gzip);
  }

  private static Path resolve(Path dir, String name) {
    Path gz = dir.resolve(name + ".gz");
    return Files.isRegularFile(gz) ? gz : dir.resolve(name);
  }
}
