package org.redisalerts.relay;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.redisalerts.bundled.BundledRedis;
import org.redisalerts.common.RedisEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis server bundled as a dependency (embedded-redis), for running the relay on a machine
 * with nothing but a JDK. Listens on loopback only, keeps nothing on disk.
 */
public final class EmbeddedRedis implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedRedis.class);

  private final BundledRedis server;
  private final RedisEndpoint endpoint;

  private EmbeddedRedis(BundledRedis server, RedisEndpoint endpoint) {
    this.server = server;
    this.endpoint = endpoint;
  }

  /** Starts a server on the host and port of {@code endpoint}, which must be loopback. */
  public static EmbeddedRedis start(RedisEndpoint endpoint) throws IOException {
    if (!isLoopback(endpoint.host())) {
      // Two options that contradict each other: a command-line mistake (exit 2).
      throw new IllegalArgumentException(
          "--embedded-redis runs Redis on this machine's loopback only; --redis points at "
              + endpoint);
    }
    BundledRedis server;
    try {
      server =
          BundledRedis.onPort(endpoint.port()).output(line -> log.debug("redis: {}", line)).start();
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
    server.close();
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
