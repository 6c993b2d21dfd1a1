package org.redisalerts.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A Lua script shipped as a resource beside the class that uses it, run by its SHA-1 and sent whole
 * only when Redis does not have it yet (after a restart, or the first time). Immutable.
 */
public final class RedisScript {

  private final String name;
  private final byte[] body;
  private final byte[] sha;

  private RedisScript(String name, byte[] body) {
    this.name = name;
    this.body = body;
    try {
      String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(body));
      this.sha = hex.getBytes(StandardCharsets.US_ASCII);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-1", e);
    }
  }

  /** Loads {@code resource}, relative to {@code owner}'s package. */
  public static RedisScript load(Class<?> owner, String resource) {
    try (InputStream in = owner.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "missing script resource " + resource + " beside " + owner.getName());
      }
      return new RedisScript(resource, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read script " + resource, e);
    }
  }

  /** The script's source. */
  public byte[] body() {
    return body.clone();
  }

  /** The script's SHA-1 in hex, as EVALSHA takes it. */
  public byte[] sha() {
    return sha.clone();
  }

  /** Runs the script on a pooled client. */
  public Object run(UnifiedJedis redis, List<byte[]> keys, List<byte[]> args) {
    try {
      return redis.evalsha(sha, keys, args);
    } catch (JedisNoScriptException e) {
      return redis.eval(body, keys, args);
    }
  }

  /** Runs the script on one connection. */
  public Object run(Jedis redis, List<byte[]> keys, List<byte[]> args) {
    try {
      return redis.evalsha(sha, keys, args);
    } catch (JedisNoScriptException e) {
      return redis.eval(body, keys, args);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
