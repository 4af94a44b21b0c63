package org.bsq.bench.store;

import java.nio.file.Path;

/** A writer process of the concurrency test: args URL TAG DIR. */
public final class ConcurrentWriterMain {
  static final int SHARED = 10;
  static final int REPEATS = 3;
  static final int OWN = 5;

  private ConcurrentWriterMain() {}

  public static void main(String[] args) {
    String url = args[0];
    String tag = args[1];
    Path dir = Path.of(args[2]);
    ResultStore s = ResultStore.open(url);
    for (int r = 0; r < REPEATS; r++) {
      for (int i = 0; i < SHARED; i++) {
        s.index(RunJsonFixtures.write(dir.resolve("shared" + i), RunJsonFixtures.finished("sha256:pshared" + i,
            "haq", "m", "d", i, 0.5, 4)));
      }
    }
    for (int i = 0; i < OWN; i++) {
      s.index(RunJsonFixtures.write(dir.resolve("own" + i), RunJsonFixtures.finished("sha256:pown" + tag + "-" + i,
          "bsq", "m", "d", 100 + i, 0.6, 3)));
    }
    System.out.println("writer " + tag + " done");
  }
}
