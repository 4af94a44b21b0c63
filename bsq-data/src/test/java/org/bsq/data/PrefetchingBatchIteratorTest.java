package org.bsq.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bsq.core.data.Batch;
import org.junit.jupiter.api.Test;

class PrefetchingBatchIteratorTest {
  private static long threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
  }

  /** Batch b: floats all equal b, labels all equal b, size 3 (last one 1). */
  private static PrefetchingBatchIterator.BatchFiller filler(int end, AtomicInteger calls) {
    return (b, images, labels) -> {
      calls.incrementAndGet();
      java.util.Arrays.fill(images, b);
      java.util.Arrays.fill(labels, b);
      return b == end - 1 ? 1 : 3;
    };
  }

  @Test
  void deliversBatchesInOrderAndKeepsTheCurrentOneIntact() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (PrefetchingBatchIterator it = new PrefetchingBatchIterator(2, 10, 6, 3, 2, "test-order", filler(10, calls))) {
      for (int b = 2; b < 10; b++) {
        assertTrue(it.hasNext());
        Batch batch = it.next();
        assertEquals(b, batch.index());
        assertEquals(b == 9 ? 1 : 3, batch.size());
        Thread.sleep(5); // let the producer run ahead: it must not touch the batch we hold
        for (float v : java.util.Arrays.copyOf(batch.images(), batch.size() * 2)) {
          assertEquals(b, v);
        }
        assertEquals(b, batch.labels()[0]);
      }
      assertFalse(it.hasNext());
      assertThrows(NoSuchElementException.class, it::next);
    }
    assertEquals(8, calls.get()); // batches 0 and 1 were never computed
  }

  @Test
  void closeStopsABlockedProducerPromptlyWithoutLeakingThreads() throws Exception {
    long before = threadsNamed("test-leak");
    AtomicInteger calls = new AtomicInteger();
    PrefetchingBatchIterator it = new PrefetchingBatchIterator(0, 1_000_000, 4, 3, 2, "test-leak", filler(1_000_000, calls));
    it.next();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (calls.get() < 4 && System.nanoTime() < deadline) {
      Thread.sleep(1); // producer fills the two ready buffers plus one, then blocks
    }
    assertTrue(it.producerAlive());
    long start = System.nanoTime();
    it.close();
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertFalse(it.producerAlive());
    assertTrue(ms < 1000, "close took " + ms + " ms");
    assertEquals(before, threadsNamed("test-leak"));
    assertTrue(calls.get() <= 5, "producer ran ahead only by its buffers, calls " + calls.get());
    assertFalse(it.hasNext());
    assertThrows(IllegalStateException.class, it::next);
    it.close(); // idempotent
  }

  @Test
  void producerEndsByItselfAfterTheLastBatch() throws Exception {
    PrefetchingBatchIterator it = new PrefetchingBatchIterator(0, 3, 4, 3, 2, "test-end", filler(3, new AtomicInteger()));
    while (it.hasNext()) {
      it.next();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (it.producerAlive() && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertFalse(it.producerAlive());
    it.close();
  }

  @Test
  void producerExceptionIsRethrownToTheConsumer() {
    IllegalArgumentException boom = new IllegalArgumentException("bad sample 42");
    PrefetchingBatchIterator.BatchFiller failing = (b, images, labels) -> {
      if (b == 3) {
        throw boom;
      }
      return 2;
    };
    PrefetchingBatchIterator it = new PrefetchingBatchIterator(0, 10, 4, 2, 2, "test-error", failing);
    for (int b = 0; b < 3; b++) {
      assertEquals(b, it.next().index());
    }
    IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, it::next);
    assertSame(boom, thrown);
    assertTrue(thrown.getSuppressed().length == 1 && thrown.getSuppressed()[0].getMessage().contains("batch 3"));
    assertFalse(it.producerAlive());
    assertFalse(it.hasNext());
    it.close();

    // synchronous mode: thrown directly from next()
    PrefetchingBatchIterator sync = new PrefetchingBatchIterator(3, 10, 4, 2, 0, "unused", failing);
    assertSame(boom, assertThrows(IllegalArgumentException.class, sync::next));
    sync.close();
  }

  @Test
  void invalidBatchSizeFromFillerIsAnError() {
    PrefetchingBatchIterator it = new PrefetchingBatchIterator(0, 2, 4, 2, 1, "test-size", (b, i, l) -> 3);
    IllegalStateException e = assertThrows(IllegalStateException.class, it::next);
    assertEquals("size of batch 0 must be in [1, 2], was 3", e.getMessage());
    it.close();
  }

  @Test
  void closingFromAnotherThreadWhileConsumerWaitsDoesNotHang() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    PrefetchingBatchIterator it = new PrefetchingBatchIterator(0, 5, 4, 2, 2, "test-slow", (b, i, l) -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      return 1;
    });
    it.close(); // producer blocked inside the filler: interrupt ends it
    assertFalse(it.producerAlive());
    release.countDown();
  }

  @Test
  void dataLoaderIteratorsLeaveNoThreadsBehind() {
    LabeledImages images = TestData.images(100, 1, 4, 4, 3);
    DataLoader loader = DataLoader.builder(images, 7).shuffle(true).name("leakcheck").build();
    for (int e = 0; e < 20; e++) {
      try (var it = loader.epoch(e)) {
        it.next();
        it.next();
      }
    }
    assertEquals(0, threadsNamed("bsq-data-prefetch leakcheck"));
  }
}
