package org.bsq.data;

/**
 * Training-time augmentation: a random crop back to the image size after zero-padding {@code padding} pixels on each
 * side (the padded pixels are black, pixel value 0, before normalization), then a random horizontal flip with
 * probability 0.5 if {@code horizontalFlip}. This is torchvision's {@code RandomCrop(size, padding)} followed by
 * {@code RandomHorizontalFlip()}. The random draws come from the data loader's seed, epoch and sample index.
 *
 * @param padding zero padding on each side, {@code >= 0} (0: no crop)
 * @param horizontalFlip whether to flip left-right with probability 0.5
 */
public record Augmentation(int padding, boolean horizontalFlip) {
  /** The standard CIFAR-10 augmentation: crop 32 after zero padding 4, random horizontal flip. */
  public static final Augmentation CIFAR10 = new Augmentation(4, true);

  public Augmentation {
    if (padding < 0 || padding > 64) {
      throw new IllegalArgumentException("padding must be in [0, 64], was " + padding);
    }
  }

  /** Random crop after zero padding {@code padding}, plus random horizontal flip. */
  public static Augmentation cropAndFlip(int padding) { return new Augmentation(padding, true); }

  /** Whether this augmentation never changes an image. */
  public boolean isIdentity() { return padding == 0 && !horizontalFlip; }

  @Override
  public String toString() {
    return "crop(pad " + padding + ")" + (horizontalFlip ? "+hflip" : "");
  }
}
