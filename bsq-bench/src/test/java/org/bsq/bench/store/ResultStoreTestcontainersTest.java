package org.bsq.bench.store;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The result store's behaviour on PostgreSQL in a Testcontainers container; skipped (not failed) where no Docker
 * engine is present, as on the CI machines, which test PostgreSQL through {@link ResultStorePostgresTest}.
 */
@Testcontainers(disabledWithoutDocker = true)
class ResultStoreTestcontainersTest extends ResultStoreBehaviour {
  private static PostgreSQLContainer<?> postgres;
  private static String server;

  @BeforeAll
  static void start() {
    postgres = new PostgreSQLContainer<>("postgres:16-alpine");
    postgres.start();
    server = postgres.getJdbcUrl() + (postgres.getJdbcUrl().contains("?") ? "&" : "?") + "user="
        + postgres.getUsername() + "&password=" + postgres.getPassword();
  }

  @AfterAll
  static void stop() {
    if (postgres != null) {
      postgres.stop();
    }
  }

  @Override
  String freshStore() throws Exception {
    return PostgresTestSupport.freshSchema(server);
  }

  @AfterEach
  void drop() throws Exception {
    if (url != null) {
      PostgresTestSupport.dropSchema(server, url);
    }
  }
}
