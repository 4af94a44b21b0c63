package org.bsq.core.engine.reference;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Runs independent index ranges on a private {@link ForkJoinPool}, or in the calling thread when the parallelism is 1.
 * Bodies must write disjoint outputs per index, so results never depend on how the range is split.
 */
final class Parallel implements AutoCloseable {
  /** A body over the half-open index range {@code [from, to)}. */
  @FunctionalInterface
  interface RangeBody {
    void run(int from, int to);
  }

  private final int parallelism;
  private final ForkJoinPool pool;

  Parallel(int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be >= 1, was " + parallelism);
    }
    this.parallelism = parallelism;
    this.pool = parallelism == 1 ? null : new ForkJoinPool(parallelism);
  }

  /** Runs {@code body} over {@code [0, n)} split into contiguous chunks; returns when all chunks are done. */
  void forRange(int n, RangeBody body) {
    if (n <= 0) {
      return;
    }
    int chunks = Math.min(n, parallelism * 4);
    if (pool == null || chunks == 1) {
      body.run(0, n);
      return;
    }
    pool.invoke(new Chunks(body, n, chunks, 0, chunks));
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdown();
    }
  }

  /** Splits chunk indices {@code [lo, hi)} in halves; chunk c covers {@code [c*n/chunks, (c+1)*n/chunks)}. */
  private static final class Chunks extends RecursiveAction {
    private final RangeBody body;
    private final int n;
    private final int chunks;
    private final int lo;
    private final int hi;

    Chunks(RangeBody body, int n, int chunks, int lo, int hi) {
      this.body = body;
      this.n = n;
      this.chunks = chunks;
      this.lo = lo;
      this.hi = hi;
    }

    @Override
    protected void compute() {
      if (hi - lo == 1) {
        int from = (int) ((long) lo * n / chunks);
        int to = (int) ((long) hi * n / chunks);
        body.run(from, to);
        return;
      }
      int mid = (lo + hi) >>> 1;
      invokeAll(new Chunks(body, n, chunks, lo, mid), new Chunks(body, n, chunks, mid, hi));
    }
  }
}
