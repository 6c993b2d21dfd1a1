package org.redisalerts.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.redisalerts.bundled.BundledRedis;
import org.redisalerts.common.RedisEndpoint;
import redis.clients.jedis.RedisClient;

/**
 * A real Redis server for one test class, on 127.0.0.1 and a port of its own; emptied before each
 * test. The bundled binary (embedded-redis) by default; set the system property or environment
 * variable {@code REDIS_SERVER} to a binary (e.g. {@code /usr/bin/redis-server}) to test against
 * that one instead.
 *
 * <p>Register with {@code @RegisterExtension static final TestRedis redis = new TestRedis();}.
 */
public final class TestRedis implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {

  private static final int ATTEMPTS = 20;

  private final Path dataDir;
  private BundledRedis server;
  private int port;
  private RedisClient client;

  /** A Redis that keeps nothing on disk: a restart starts empty. */
  public TestRedis() {
    this.dataDir = null;
  }

  private TestRedis(Path dataDir) {
    this.dataDir = dataDir;
  }

  /**
   * A Redis that writes every change to an append-only file before answering, so that {@link #stop}
   * and {@link #start} lose nothing, as a production Redis with AOF.
   */
  public static TestRedis persistent() {
    try {
      Path dir = Files.createTempDirectory("test-redis-");
      dir.toFile().deleteOnExit();
      return new TestRedis(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    start();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    client.flushAll();
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    if (client != null) {
      client.close();
    }
    stop();
  }

  /**
   * Starts the server. Redis cannot bind port 0, so this picks a port and, when it turns out to be
   * taken (the server says so and exits), tries another.
   */
  public void start() throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      int candidate = port != 0 ? port : ThreadLocalRandom.current().nextInt(20_000, 60_000);
      try {
        server = settings(candidate).start();
        port = candidate;
        // A fresh pool: connections to a stopped server are dead.
        if (client != null) {
          client.close();
        }
        client = endpoint().newClient(5_000, "test");
        return;
      } catch (IOException e) {
        last = e;
        if (port != 0) {
          break; // a restart must come back on the same port
        }
      }
    }
    throw new IOException("could not start a Redis server", last);
  }

  /** Stops the server (SIGTERM, then waits); clients see the connection refused. */
  public void stop() throws IOException {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public RedisEndpoint endpoint() {
    return RedisEndpoint.parse(url());
  }

  /** A client shared by the test; thread-safe; replaced by each {@link #start}. */
  public RedisClient client() {
    if (client == null) {
      throw new IllegalStateException("Redis not started");
    }
    return client;
  }

  /** Scripts Redis ran so far (EVAL and EVALSHA calls, from {@code INFO commandstats}). */
  public long scriptCalls() {
    return commandStat("eval", "calls") + commandStat("evalsha", "calls");
  }

  /**
   * One counter of one command from {@code INFO commandstats}, e.g. ("blpop", "failed_calls"); 0
   * when Redis has not run the command.
   */
  public long commandStat(String command, String counter) {
    for (String line : client().info("commandstats").split("\\r?\\n")) {
      if (line.startsWith("cmdstat_" + command + ":")) {
        for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
          if (field.startsWith(counter + "=")) {
            return Long.parseLong(field.substring(counter.length() + 1).trim());
          }
        }
      }
    }
    return 0;
  }

  private BundledRedis.Builder settings(int port) {
    BundledRedis.Builder builder = BundledRedis.onPort(port);
    if (dataDir != null) {
      builder.persistent(dataDir);
    }
    String binary = System.getProperty("REDIS_SERVER", System.getenv("REDIS_SERVER"));
    if (binary != null && !binary.isBlank()) {
      builder.binary(new File(binary));
    }
    return builder;
  }
}
