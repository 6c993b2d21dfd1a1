package org.redisalerts.testing;

import java.util.List;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisClient;

/**
 * Publishes the way the original's users do with a plain Redis client: append the alert to the
 * key's list, then append the key to the watch list, one watch entry per alert.
 */
public final class TestPublisher {

  private final RedisClient redis;
  private final String watch;

  public TestPublisher(RedisClient redis, String watch) {
    this.redis = redis;
    this.watch = watch;
  }

  public TestPublisher(TestRedis redis) {
    this(redis.client(), "watch");
  }

  /** Pushes each entry (as given, byte for byte) and its watch entry, in order, pipelined. */
  public void push(String key, String... entries) {
    push(key, List.of(entries));
  }

  /**
   * Pushes each entry and its watch entry, pipelined, and throws if Redis refused any of them (a
   * pipeline keeps a refusal such as {@code LOADING}, during a restart, in its reply).
   */
  public void push(String key, List<String> entries) {
    try (Pipeline pipeline = redis.pipelined()) {
      for (String entry : entries) {
        pipeline.rpush(key, entry);
        pipeline.rpush(watch, key);
      }
      for (Object reply : pipeline.syncAndReturnAll()) {
        if (reply instanceof RuntimeException refused) {
          throw refused;
        }
      }
    }
  }

  /** Pushes raw bytes (e.g. invalid UTF-8) and its watch entry. */
  public void pushBytes(String key, byte[] entry) {
    redis.rpush(key.getBytes(java.nio.charset.StandardCharsets.UTF_8), entry);
    redis.rpush(watch, key);
  }

  /** A small alert with a sequence number, as the original's publishers wrote them. */
  public static String alert(String message, long seq) {
    return "{\"event\":\"alert\",\"message\":\"" + message + "\",\"seq\":" + seq + "}";
  }
}
