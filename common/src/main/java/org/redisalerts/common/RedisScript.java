package org.redisalerts.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.BuilderFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.args.Rawable;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A Lua script shipped as a resource beside the class that uses it, run by its SHA-1 and sent whole
 * only when Redis does not have it yet (after a restart, or the first time). Immutable; the SHA-1
 * is computed on first use, so a process that only {@link #runOnce}s never loads a digest.
 */
public final class RedisScript {

  private final String name;
  private final byte[] body;
  private volatile byte[] sha; // null until first asked; any thread may compute it, all agree

  private RedisScript(String name, byte[] body) {
    this.name = name;
    this.body = body;
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
    return sha0().clone();
  }

  /** Runs the script on a pooled client. */
  public Object run(UnifiedJedis redis, List<byte[]> keys, List<byte[]> args) {
    try {
      return redis.evalsha(sha0(), keys, args);
    } catch (JedisNoScriptException e) {
      return redis.eval(body, keys, args);
    }
  }

  /**
   * Runs the script on one connection. The arguments are handed to the connection as they are:
   * {@code Jedis.evalsha} copies every one of them first, about a fifth of what a relay allocates
   * per alert at a trickle; callers do not change them while this runs.
   */
  public Object run(Jedis redis, List<byte[]> keys, List<byte[]> args) {
    try {
      return redis
          .getConnection()
          .executeCommand(new CommandObject<>(evalsha(keys, args), BuilderFactory.RAW_OBJECT));
    } catch (JedisNoScriptException e) {
      return redis.eval(body, keys, args);
    }
  }

  /**
   * The EVALSHA command that runs the script, its arguments uncopied (as {@link #run(Jedis, List,
   * List)} sends them), for a caller that sends it on a connection itself, with other commands
   * behind it in the same write. Its reply is a {@link JedisNoScriptException} when Redis does not
   * have the script; the caller then runs it with {@link #run(Jedis, List, List)}.
   */
  public CommandArguments evalsha(List<byte[]> keys, List<byte[]> args) {
    return command(Protocol.Command.EVALSHA, sha0(), keys, args);
  }

  /**
   * The EVAL command that sends the script itself (and so loads it), its arguments uncopied, for a
   * caller whose {@link #evalsha} Redis answered with NOSCRIPT and that sends it on a connection
   * itself.
   */
  public CommandArguments eval(List<byte[]> keys, List<byte[]> args) {
    return command(Protocol.Command.EVAL, body, keys, args);
  }

  private static CommandArguments command(
      Protocol.Command eval, byte[] script, List<byte[]> keys, List<byte[]> args) {
    CommandArguments command =
        new CommandArguments(eval).add(new Uncopied(script)).add(keys.size());
    for (byte[] key : keys) {
      command.add(new Uncopied(key));
    }
    for (byte[] arg : args) {
      command.add(new Uncopied(arg));
    }
    return command;
  }

  /** An argument passed by reference (Jedis's own factory copies the array). */
  private record Uncopied(byte[] raw) implements Rawable {
    @Override
    public byte[] getRaw() {
      return raw;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Uncopied u && Arrays.equals(raw, u.raw);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(raw);
    }

    @Override
    public String toString() {
      return new String(raw, StandardCharsets.UTF_8);
    }
  }

  /**
   * Runs the script by sending it whole (EVAL): one round trip whether Redis has it or not. For a
   * process that runs it once, as publish does, where trying EVALSHA first would be a wasted round
   * trip on a fresh Redis.
   */
  public Object runOnce(Jedis redis, List<byte[]> keys, List<byte[]> args) {
    return redis.eval(body, keys, args);
  }

  private byte[] sha0() {
    byte[] known = sha;
    if (known == null) {
      try {
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(body));
        known = hex.getBytes(StandardCharsets.US_ASCII);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("this JVM has no SHA-1", e);
      }
      sha = known;
    }
    return known;
  }

  @Override
  public String toString() {
    return name;
  }
}
