package org.bsq.bench.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The PostgreSQL server of the tests: {@value #URL_ENV} names it (.ci/run starts one and sets it). Without it the
 * PostgreSQL tests are skipped, unless {@value #REQUIRE_ENV}=1, which turns "PostgreSQL unavailable" into a failure.
 */
final class PostgresTestSupport {
  static final String URL_ENV = "BSQ_TEST_POSTGRES_URL";
  static final String REQUIRE_ENV = "BSQ_REQUIRE_POSTGRES";

  private PostgresTestSupport() {}

  static boolean required() {
    return "1".equals(System.getenv(REQUIRE_ENV)) || "true".equalsIgnoreCase(System.getenv(REQUIRE_ENV));
  }

  /** The server's URL, or the test is skipped (failed when PostgreSQL is required). */
  static String serverUrl() {
    String url = System.getenv(URL_ENV);
    String why = null;
    if (url == null || url.isBlank()) {
      why = URL_ENV + " is not set";
    } else {
      try (Connection c = dataSource(url).getConnection()) {
        c.isValid(5);
      } catch (SQLException e) {
        why = "cannot connect to " + url + ": " + e.getMessage();
      }
    }
    if (why != null) {
      if (required()) {
        Assertions.fail("PostgreSQL is required (" + REQUIRE_ENV + "=1) but unavailable: " + why);
      }
      Assumptions.abort("PostgreSQL unavailable (" + why + ")");
    }
    return url;
  }

  static PGSimpleDataSource dataSource(String url) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(url);
    return ds;
  }

  /** A new empty schema on the server; the returned URL makes it the connections' current schema. */
  static String freshSchema(String serverUrl) throws SQLException {
    String schema = "bsq_test_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = dataSource(serverUrl).getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
    }
    return serverUrl + (serverUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  /** Drops the schema of a URL made by {@link #freshSchema}. */
  static void dropSchema(String serverUrl, String storeUrl) throws SQLException {
    String schema = storeUrl.substring(storeUrl.lastIndexOf("currentSchema=") + "currentSchema=".length());
    try (Connection c = dataSource(serverUrl).getConnection(); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }
}
