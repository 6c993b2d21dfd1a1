package org.redisalerts.listen;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.redisalerts.common.AlertKeys;

/**
 * What {@code listen} is told, checked once.
 *
 * @param url the relay's WebSocket URL
 * @param key the key to identify with
 * @param count stop after this many alerts (0: never)
 * @param timeout give up when {@code count} alerts have not arrived by then (null: never)
 * @param reconnect whether to reconnect when the connection drops
 * @param token a signed identify token (SPEC 7), or null
 * @param ca certificates to trust on {@code wss://} besides the JVM's CAs, or null
 * @param ack whether to identify with {@code "ack":true} and acknowledge each alert once shown
 *     (SPEC 9)
 */
public record ListenOptions(
    URI url,
    String key,
    int count,
    Duration timeout,
    boolean reconnect,
    String token,
    Path ca,
    boolean ack) {

  public static final String DEFAULT_URL = "ws://localhost:3001/";

  public ListenOptions {
    String scheme = url.getScheme();
    if (!"ws".equals(scheme) && !"wss".equals(scheme)) {
      throw new IllegalArgumentException("relay URL must start with ws:// or wss://: " + url);
    }
    if (url.getHost() == null) {
      throw new IllegalArgumentException("relay URL has no host: " + url);
    }
    AlertKeys.validate(key);
    if (count < 0) {
      throw new IllegalArgumentException("--count must be 0 or more: " + count);
    }
    if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
      throw new IllegalArgumentException("--timeout must be positive: " + timeout);
    }
    if (ca != null && !"wss".equals(scheme)) {
      throw new IllegalArgumentException("--ca is for wss:// URLs; " + url + " is not one");
    }
    if (token != null && token.isBlank()) {
      token = null;
    }
  }
}
