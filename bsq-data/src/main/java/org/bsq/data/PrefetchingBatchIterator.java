package org.bsq.data;

import java.lang.ref.Cleaner;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bsq.core.data.Batch;
import org.bsq.core.data.BatchIterator;

/**
 * A {@link BatchIterator} over batches {@code [firstBatch, endBatch)} that fills them through a {@link BatchFiller},
 * either in the caller's thread ({@code prefetch == 0}) or in one background producer thread that keeps up to
 * {@code prefetch} batches ready ahead of the consumer.
 *
 * <p>Buffers rotate: {@code prefetch + 2} of them (one held by the consumer, up to {@code prefetch} ready, one being
 * filled). A returned {@link Batch}'s arrays stay valid until the consumer calls {@link #next()} again (or closes the
 * iterator). An exception thrown by the filler is rethrown by the {@link #next()} call that would have returned that
 * batch (same exception object, with the consumer's stack attached as a suppressed exception). {@link #close()}
 * interrupts the producer and waits for it to end; an iterator that becomes unreachable without being closed is
 * stopped by a {@link Cleaner}.
 */
public final class PrefetchingBatchIterator implements BatchIterator {
  /** Fills one batch. Must be safe to call from the producer thread; must not keep the arrays. */
  @FunctionalInterface
  public interface BatchFiller {
    /**
     * Writes batch {@code batchIndex} into {@code images} and {@code labels} and returns its number of samples
     * ({@code >= 1}).
     */
    int fill(int batchIndex, float[] images, int[] labels);
  }

  private static final Cleaner CLEANER = Cleaner.create();
  private static final long JOIN_TIMEOUT_MS = 10_000;

  private final BatchFiller filler;
  private final int endBatch;
  private final Shared shared;
  private final Thread producer;
  private final Cleaner.Cleanable cleanable;
  private final Slot syncSlot;
  private Slot current;
  private int nextBatch;
  private boolean closed;

  /**
   * @param firstBatch first batch index produced
   * @param endBatch one past the last batch index ({@code >= firstBatch})
   * @param floatsPerBatch length of each image buffer
   * @param labelsPerBatch length of each label buffer
   * @param prefetch batches prepared ahead in a background thread; 0 fills synchronously in {@link #next()}
   * @param threadName name of the producer thread
   * @param filler fills one batch
   */
  public PrefetchingBatchIterator(
      int firstBatch, int endBatch, int floatsPerBatch, int labelsPerBatch, int prefetch, String threadName,
      BatchFiller filler) {
    if (firstBatch < 0 || endBatch < firstBatch) {
      throw new IllegalArgumentException(
          "batch range must satisfy 0 <= first <= end, was [" + firstBatch + ", " + endBatch + ")");
    }
    if (prefetch < 0 || prefetch > 64) {
      throw new IllegalArgumentException("prefetch must be in [0, 64], was " + prefetch);
    }
    if (floatsPerBatch < 1 || labelsPerBatch < 1) {
      throw new IllegalArgumentException(
          "batch buffer sizes must be >= 1, was " + floatsPerBatch + " floats and " + labelsPerBatch + " labels");
    }
    this.filler = Objects.requireNonNull(filler, "filler");
    this.endBatch = endBatch;
    this.nextBatch = firstBatch;
    if (prefetch == 0 || firstBatch == endBatch) {
      this.shared = null;
      this.producer = null;
      this.cleanable = null;
      this.syncSlot = firstBatch == endBatch ? null : new Slot(floatsPerBatch, labelsPerBatch);
      return;
    }
    this.syncSlot = null;
    int buffers = prefetch + 2;
    this.shared = new Shared(buffers);
    for (int i = 0; i < buffers; i++) {
      shared.free.add(new Slot(floatsPerBatch, labelsPerBatch));
    }
    Shared s = shared;
    this.producer = new Thread(() -> produce(s, filler, firstBatch, endBatch), threadName);
    producer.setDaemon(true);
    this.cleanable = CLEANER.register(this, new Stopper(shared, producer));
    producer.start();
  }

  private static void produce(Shared shared, BatchFiller filler, int firstBatch, int endBatch) {
    try {
      for (int b = firstBatch; b < endBatch && !shared.stopped; b++) {
        Slot slot = shared.free.take();
        slot.size = filler.fill(b, slot.images, slot.labels);
        slot.index = b;
        checkSize(slot.size, slot.labels.length, b);
        shared.ready.put(slot);
      }
    } catch (InterruptedException e) {
      // closed: end quietly
    } catch (Throwable t) {
      shared.ready.offer(Slot.failed(t)); // capacity buffers + 1: never full here
    }
  }

  private static void checkSize(int size, int capacity, int batch) {
    if (size < 1 || size > capacity) {
      throw new IllegalStateException(
          "size of batch " + batch + " must be in [1, " + capacity + "], was " + size);
    }
  }

  @Override
  public boolean hasNext() { return !closed && nextBatch < endBatch; }

  @Override
  public Batch next() {
    if (closed) {
      throw new IllegalStateException("batch iterator must be open to call next(), was closed");
    }
    if (nextBatch >= endBatch) {
      throw new NoSuchElementException("no batch after batch " + (endBatch - 1));
    }
    Slot slot;
    if (shared == null) {
      slot = syncSlot;
      slot.size = filler.fill(nextBatch, slot.images, slot.labels);
      slot.index = nextBatch;
      checkSize(slot.size, slot.labels.length, nextBatch);
    } else {
      if (current != null) {
        shared.free.add(current); // the consumer gave it up by calling next()
        current = null;
      }
      try {
        slot = shared.ready.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new IllegalStateException("interrupted while waiting for batch " + nextBatch, e);
      }
      if (slot.failure != null) {
        close();
        Throwable failure = slot.failure;
        failure.addSuppressed(new Exception("rethrown to the consumer of batch " + nextBatch));
        if (failure instanceof RuntimeException re) {
          throw re;
        }
        if (failure instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException("batch " + nextBatch + " failed: " + failure, failure);
      }
      current = slot;
    }
    nextBatch++;
    return new Batch(slot.images, slot.labels, slot.size, slot.index);
  }

  /** Stops the producer thread (interrupts it and waits for it to end) and releases the buffers. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (shared != null) {
      cleanable.clean(); // sets the stop flag and interrupts the producer
      if (producer != Thread.currentThread()) {
        try {
          producer.join(JOIN_TIMEOUT_MS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      current = null;
      shared.free.clear();
      shared.ready.clear();
    }
  }

  /** Whether the producer thread (if any) is still running; for tests and diagnostics. */
  public boolean producerAlive() { return producer != null && producer.isAlive(); }

  /** State shared with the producer thread (never references the iterator, so the Cleaner can fire). */
  private static final class Shared {
    final BlockingQueue<Slot> free;
    final BlockingQueue<Slot> ready;
    volatile boolean stopped;

    Shared(int buffers) {
      this.free = new ArrayBlockingQueue<>(buffers);
      this.ready = new ArrayBlockingQueue<>(buffers + 1);
    }
  }

  private record Stopper(Shared shared, Thread producer) implements Runnable {
    @Override
    public void run() {
      shared.stopped = true;
      producer.interrupt();
    }
  }

  private static final class Slot {
    final float[] images;
    final int[] labels;
    final Throwable failure;
    int size;
    int index;

    Slot(int floats, int labels) {
      this.images = new float[floats];
      this.labels = new int[labels];
      this.failure = null;
    }

    private Slot(Throwable failure) {
      this.images = null;
      this.labels = null;
      this.failure = failure;
    }

    static Slot failed(Throwable failure) { return new Slot(failure); }
  }
}
