package org.bsq.bench.store;

import org.junit.jupiter.api.AfterEach;

/**
 * The result store's behaviour on a PostgreSQL server named by {@code BSQ_TEST_POSTGRES_URL} (.ci/run starts one);
 * every test gets its own schema. Skipped without a server unless {@code BSQ_REQUIRE_POSTGRES=1}.
 */
class ResultStorePostgresTest extends ResultStoreBehaviour {
  private String server;

  @Override
  String freshStore() throws Exception {
    server = PostgresTestSupport.serverUrl();
    return PostgresTestSupport.freshSchema(server);
  }

  @AfterEach
  void drop() throws Exception {
    if (server != null && url != null) {
      PostgresTestSupport.dropSchema(server, url);
    }
  }
}
