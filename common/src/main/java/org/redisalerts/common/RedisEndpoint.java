package org.redisalerts.common;

import java.net.URI;
import java.net.URISyntaxException;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * Where Redis is, parsed once from a {@code redis://[user:password@]host[:port][/db]} URL ({@code
 * rediss://} for TLS) and checked, so a typo fails at start with a message that names it instead of
 * on the first command.
 *
 * @param uri the URL as given
 */
public record RedisEndpoint(URI uri) {

  /** The default URL: a Redis on this machine's loopback. */
  public static final String DEFAULT_URL = "redis://127.0.0.1:6379";

  public RedisEndpoint {
    String scheme = uri.getScheme();
    if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
      throw new IllegalArgumentException(
          "Redis URL must start with redis:// or rediss://: " + redacted(uri));
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      // java.net.URI then keeps the authority whole, user and password included: shown without.
      String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
      String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
      String shown = scheme + "://" + hostPort;
      if (hostPort.contains(":") && hostPort.indexOf(':') > 0) {
        throw new IllegalArgumentException("Redis URL has a port that is not a number: " + shown);
      }
      throw new IllegalArgumentException("Redis URL has no host: " + shown);
    }
    if (uri.getPort() == 0 || uri.getPort() > 65535) {
      throw new IllegalArgumentException("Redis port out of range: " + uri.getPort());
    }
    String path = uri.getPath();
    if (path != null && path.length() > 1 && !path.substring(1).matches("\\d{1,5}")) {
      throw new IllegalArgumentException("Redis database must be a number: " + path.substring(1));
    }
  }

  /** Parses a URL, with a message naming the bad part when it is not one. */
  public static RedisEndpoint parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("Redis URL is empty");
    }
    try {
      return new RedisEndpoint(new URI(url.trim()));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a Redis URL: " + url + " (" + e.getReason() + ")");
    }
  }

  public String host() {
    return uri.getHost();
  }

  public int port() {
    return uri.getPort() == -1 ? 6379 : uri.getPort();
  }

  /** The URL without its password, for logs and error messages. */
  @Override
  public String toString() {
    return redacted(uri);
  }

  /** Client settings for this endpoint; {@code timeoutMillis} bounds connect and reads. */
  public JedisClientConfig clientConfig(int timeoutMillis, String clientName) {
    return DefaultJedisClientConfig.builder()
        .user(JedisURIHelper.getUser(uri))
        .password(JedisURIHelper.getPassword(uri))
        .database(JedisURIHelper.getDBIndex(uri))
        .ssl(JedisURIHelper.isRedisSSLScheme(uri))
        .clientName(clientName)
        .protocol(RedisProtocol.RESP2)
        .timeoutMillis(timeoutMillis)
        .build();
  }

  /** A pooled, thread-safe client. */
  public RedisClient newClient(int timeoutMillis, String clientName) {
    return RedisClient.builder()
        .hostAndPort(new HostAndPort(host(), port()))
        .clientConfig(clientConfig(timeoutMillis, clientName))
        .build();
  }

  /** One connection, for one thread (e.g. a blocking pop). */
  public Jedis newConnection(int timeoutMillis, String clientName) {
    return new Jedis(new HostAndPort(host(), port()), clientConfig(timeoutMillis, clientName));
  }

  private static String redacted(URI uri) {
    String info = uri.getUserInfo();
    if (info == null) {
      return uri.toString();
    }
    int colon = info.indexOf(':');
    String user = colon < 0 ? "" : info.substring(0, colon);
    return uri.toString().replace(info + "@", user + ":***@");
  }
}
