package org.redisalerts.relay;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.redisalerts.common.RedisEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * The Redis server bundled as a dependency (embedded-redis), for running the relay on a machine
 * with nothing but a JDK. Listens on loopback only, keeps nothing on disk.
 */
public final class EmbeddedRedis implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedRedis.class);

  private final RedisServer server;
  private final RedisEndpoint endpoint;

  private EmbeddedRedis(RedisServer server, RedisEndpoint endpoint) {
    this.server = server;
    this.endpoint = endpoint;
  }

  /** Starts a server on the host and port of {@code endpoint}, which must be loopback. */
  public static EmbeddedRedis start(RedisEndpoint endpoint) throws IOException {
    if (!isLoopback(endpoint.host())) {
      throw new IOException(
          "--embedded-redis runs Redis on this machine's loopback only; --redis points at "
              + endpoint);
    }
    RedisServer server =
        RedisServer.newRedisServer()
            .bind("127.0.0.1")
            .port(endpoint.port())
            .setting("save \"\"")
            .setting("appendonly no")
            .soutListener(line -> log.debug("redis: {}", line))
            .serrListener(line -> log.debug("redis: {}", line))
            .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new IOException(
          "cannot start the bundled Redis on port "
              + endpoint.port()
              + " (is another Redis already listening there? then drop --embedded-redis)",
          e);
    }
    log.info("bundled Redis started on 127.0.0.1:{}", endpoint.port());
    return new EmbeddedRedis(server, endpoint);
  }

  public RedisEndpoint endpoint() {
    return endpoint;
  }

  @Override
  public void close() throws IOException {
    server.stop();
    log.info("bundled Redis stopped");
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
