package org.bsq.data;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.bsq.core.graph.Shape;

/**
 * A split of an image data set in compact storage: {@code size} images of {@code C x H x W} unsigned bytes
 * (channel planes, each row-major) and one unsigned byte label per image.
 *
 * <p>Instances are immutable by contract: the constructor takes ownership of the arrays (no copy) and the class never
 * hands them out writable. {@link #checksum()} identifies the source bytes (for provenance) and {@link #source()}
 * describes where they came from.
 */
public final class LabeledImages {
  private final byte[] pixels;
  private final byte[] labels;
  private final Shape shape;
  private final int numClasses;
  private final List<String> classNames;
  private final String checksum;
  private final String source;

  /**
   * @param pixels {@code labels.length * C * H * W} bytes, image after image, channel planes row-major (owned)
   * @param labels one label per image, unsigned, each in {@code [0, classNames.size())} (owned)
   * @param shape per-image shape {@code C x H x W}
   * @param classNames one name per class; the number of classes is its size
   * @param checksum provenance checksum of the source bytes, e.g. {@code "sha256:ab12..."}
   * @param source human-readable description of the source (files, subset rule)
   */
  public LabeledImages(
      byte[] pixels, byte[] labels, Shape shape, List<String> classNames, String checksum, String source) {
    this.pixels = Objects.requireNonNull(pixels, "pixels");
    this.labels = Objects.requireNonNull(labels, "labels");
    this.shape = Objects.requireNonNull(shape, "shape");
    this.classNames = List.copyOf(classNames);
    this.checksum = Objects.requireNonNull(checksum, "checksum");
    this.source = Objects.requireNonNull(source, "source");
    this.numClasses = this.classNames.size();
    if (numClasses < 1 || numClasses > 256) {
      throw new IllegalArgumentException("number of classes must be in [1, 256], was " + numClasses);
    }
    if (labels.length < 1) {
      throw new IllegalArgumentException("number of images must be >= 1, was " + labels.length);
    }
    long expected = (long) labels.length * shape.size();
    if (pixels.length != expected) {
      throw new IllegalArgumentException(
          "pixel array length must be " + labels.length + " x " + shape + " = " + expected + ", was " + pixels.length);
    }
    for (int i = 0; i < labels.length; i++) {
      int label = labels[i] & 0xFF;
      if (label >= numClasses) {
        throw new IllegalArgumentException(
            "label of image " + i + " must be in [0, " + (numClasses - 1) + "], was " + label);
      }
    }
  }

  /** Number of images. */
  public int size() { return labels.length; }

  public Shape shape() { return shape; }

  public int channels() { return shape.channels(); }

  public int height() { return shape.height(); }

  public int width() { return shape.width(); }

  /** Bytes per image, {@code C * H * W}. */
  public int imageBytes() { return shape.size(); }

  public int numClasses() { return numClasses; }

  public List<String> classNames() { return classNames; }

  /** Provenance checksum of the source bytes, {@code "<algorithm>:<hex>"}. */
  public String checksum() { return checksum; }

  /** Where the data came from. */
  public String source() { return source; }

  /** Label of image {@code i}. */
  public int label(int i) {
    Objects.checkIndex(i, labels.length);
    return labels[i] & 0xFF;
  }

  /** Unsigned pixel value {@code (c, y, x)} of image {@code i}. */
  public int pixel(int i, int c, int y, int x) {
    Objects.checkIndex(i, labels.length);
    Objects.checkIndex(c, shape.channels());
    Objects.checkIndex(y, shape.height());
    Objects.checkIndex(x, shape.width());
    return pixels[i * shape.size() + (c * shape.height() + y) * shape.width() + x] & 0xFF;
  }

  /** A copy of the bytes of image {@code i} ({@code C*H*W}, channel planes row-major). */
  public byte[] image(int i) {
    Objects.checkIndex(i, labels.length);
    int n = shape.size();
    return Arrays.copyOfRange(pixels, i * n, (i + 1) * n);
  }

  /** Read-only view of all pixels (no copy). */
  public ByteBuffer pixelBuffer() { return ByteBuffer.wrap(pixels).asReadOnlyBuffer(); }

  /** Read-only view of all labels (no copy). */
  public ByteBuffer labelBuffer() { return ByteBuffer.wrap(labels).asReadOnlyBuffer(); }

  /** Number of images per class. */
  public int[] labelCounts() {
    int[] counts = new int[numClasses];
    for (byte label : labels) {
      counts[label & 0xFF]++;
    }
    return counts;
  }

  /**
   * The first {@code n} images (copied). The checksum stays the one of the full source, and the source description
   * records the cut.
   */
  public LabeledImages first(int n) {
    if (n < 1 || n > labels.length) {
      throw new IllegalArgumentException("number of images to keep must be in [1, " + labels.length + "], was " + n);
    }
    if (n == labels.length) {
      return this;
    }
    return new LabeledImages(
        Arrays.copyOf(pixels, n * shape.size()), Arrays.copyOf(labels, n), shape, classNames, checksum,
        source + ", first " + n + " images");
  }

  /**
   * A held-out split: {@code size} images chosen uniformly at random by {@code seed} (without replacement) become
   * {@link HeldOut#heldOut()}, the others {@link HeldOut#rest()}; both keep the source order. The same size and seed
   * always choose the same images. Checksums stay the source's; {@link HeldOut#indices()} identifies the choice.
   *
   * @throws IllegalArgumentException unless {@code 1 <= size < size()}
   */
  public HeldOut holdOut(int size, long seed) {
    if (size < 1 || size >= labels.length) {
      throw new IllegalArgumentException("held-out images must be in [1, " + (labels.length - 1) + "] (some must "
          + "stay for training), was " + size);
    }
    int[] order = new int[labels.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    for (int i = 0; i < size; i++) { // partial Fisher-Yates: the first `size` entries are the chosen images
      int j = i + random.nextInt(order.length - i);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    boolean[] held = new boolean[labels.length];
    for (int i = 0; i < size; i++) {
      held[order[i]] = true;
    }
    int[] heldIndices = new int[size];
    int[] restIndices = new int[labels.length - size];
    for (int i = 0, h = 0, r = 0; i < labels.length; i++) {
      if (held[i]) {
        heldIndices[h++] = i;
      } else {
        restIndices[r++] = i;
      }
    }
    String rule = size + " images held out by seed " + seed;
    return new HeldOut(select(restIndices, source + ", without the " + rule),
        select(heldIndices, source + ", the " + rule), heldIndices);
  }

  /**
   * A split into training and held-out images ({@link #holdOut}).
   *
   * @param rest the images that stay for training
   * @param heldOut the held-out images
   * @param indices the held-out images' indices in the source, ascending
   */
  public record HeldOut(LabeledImages rest, LabeledImages heldOut, int[] indices) {
    /** The held-out indices (a copy). */
    @Override
    public int[] indices() {
      return indices.clone();
    }

    /** sha256 of the held-out indices (little-endian int32), identifying the choice in provenance. */
    public String indicesChecksum() {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(indices.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int i : indices) {
        b.putInt(i);
      }
      return org.bsq.core.provenance.Digests.sha256Label(b.array());
    }
  }

  private LabeledImages select(int[] indices, String description) {
    int n = shape.size();
    byte[] p = new byte[indices.length * n];
    byte[] l = new byte[indices.length];
    for (int k = 0; k < indices.length; k++) {
      System.arraycopy(pixels, indices[k] * n, p, k * n, n);
      l[k] = labels[indices[k]];
    }
    return new LabeledImages(p, l, shape, classNames, checksum, description);
  }

  /** Backing pixel array, for the loaders of this package only (never modified). */
  byte[] pixelArray() { return pixels; }

  /** Backing label array, for the loaders of this package only (never modified). */
  byte[] labelArray() { return labels; }

  @Override
  public String toString() {
    return "LabeledImages[" + labels.length + " x " + shape + ", " + numClasses + " classes, " + source + ", "
        + checksum + "]";
  }
}
