package org.bsq.bench.store;

/** The result store's behaviour on the embedded SQLite store (always runs). */
class ResultStoreSqliteTest extends ResultStoreBehaviour {
  @Override
  String freshStore() {
    return "jdbc:sqlite:" + tmp.resolve("store").resolve("results.db");
  }
}
