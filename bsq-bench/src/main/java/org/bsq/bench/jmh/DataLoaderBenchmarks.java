package org.bsq.bench.jmh;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bsq.core.data.BatchIterator;
import org.bsq.core.graph.Shape;
import org.bsq.data.Augmentation;
import org.bsq.data.DataLoader;
import org.bsq.data.LabeledImages;
import org.bsq.data.Normalization;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoding, augmenting and normalizing CIFAR-shaped batches on the caller's thread (no prefetch), ms per 128-image
 * batch. The engine's step is ~350 ms, so the data pipeline must stay far below that even without its background
 * thread. Run: {@code java -cp ... org.openjdk.jmh.Main DataLoaderBenchmarks}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class DataLoaderBenchmarks {
  private DataLoader augmented;
  private DataLoader plain;
  private int epoch;

  @Setup
  public void setUp() {
    int n = 1280;
    byte[] pixels = new byte[n * 3072];
    byte[] labels = new byte[n];
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) r.nextInt(256);
    }
    LabeledImages images = new LabeledImages(pixels, labels, new Shape(3, 32, 32),
        List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), "random", "random");
    augmented = DataLoader.builder(images, 128).shuffle(true).augmentation(Augmentation.CIFAR10)
        .normalization(Normalization.CIFAR10).prefetch(0).build();
    plain = DataLoader.builder(images, 128).normalization(Normalization.CIFAR10).prefetch(0).build();
  }

  /** Ten batches per invocation (one epoch of 1,280 images): divide by 10 for ms per batch. */
  @Benchmark
  public void augmentedEpochOfTenBatches(Blackhole bh) {
    drain(augmented, bh);
  }

  @Benchmark
  public void plainEpochOfTenBatches(Blackhole bh) {
    drain(plain, bh);
  }

  private void drain(DataLoader loader, Blackhole bh) {
    try (BatchIterator it = loader.epoch(epoch++)) {
      while (it.hasNext()) {
        bh.consume(it.next());
      }
    }
  }
}
