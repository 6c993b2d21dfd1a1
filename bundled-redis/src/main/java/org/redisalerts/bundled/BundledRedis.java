package org.redisalerts.bundled;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import redis.embedded.RedisServer;

/**
 * The Redis server that ships inside a dependency (embedded-redis), started on 127.0.0.1 only: the
 * relay's {@code --embedded-redis} and the tests' Redis are both built here, the one way the suite
 * runs a Redis of its own.
 */
public final class BundledRedis implements AutoCloseable {

  private final RedisServer server;
  private final int port;

  private BundledRedis(RedisServer server, int port) {
    this.server = server;
    this.port = port;
  }

  /** Settings for a server on {@code port}; by default it keeps nothing on disk. */
  public static Builder onPort(int port) {
    return new Builder(port);
  }

  /** Collects settings; {@link #start} starts the server. Not thread-safe. */
  public static final class Builder {
    private final int port;
    private Path dataDir;
    private File binary;
    private Consumer<String> output = line -> {};

    private Builder(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("Redis port out of range: " + port);
      }
      this.port = port;
    }

    /**
     * Keeps the data in {@code dir}, every change written to an append-only file before Redis
     * answers, so a stop and start lose nothing (as a production Redis with AOF).
     */
    public Builder persistent(Path dir) {
      this.dataDir = dir;
      return this;
    }

    /** Runs this binary (e.g. Debian's /usr/bin/redis-server) instead of the bundled one. */
    public Builder binary(File file) {
      this.binary = file;
      return this;
    }

    /** Where the server's own output lines go (dropped by default). */
    public Builder output(Consumer<String> lines) {
      this.output = lines;
      return this;
    }

    /**
     * Starts the server and returns once it accepts connections.
     *
     * @throws IOException when it does not start (typically: the port is taken)
     */
    public BundledRedis start() throws IOException {
      var builder =
          RedisServer.newRedisServer()
              .bind("127.0.0.1")
              .port(port)
              .setting("save \"\"")
              .setting(dataDir == null ? "appendonly no" : "appendonly yes")
              .settingIf(dataDir != null, "appendfsync always")
              .settingIf(dataDir != null, "dir " + dataDir)
              .soutListener(output::accept)
              .serrListener(output::accept);
      if (binary != null) {
        File file = binary;
        builder.executableProvider(() -> file);
      }
      RedisServer server = builder.build();
      server.start();
      return new BundledRedis(server, port);
    }
  }

  public int port() {
    return port;
  }

  /** Stops the server (SIGTERM, then waits). */
  @Override
  public void close() throws IOException {
    server.stop();
  }
}
