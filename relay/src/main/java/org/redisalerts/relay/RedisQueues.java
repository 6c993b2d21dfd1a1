package org.redisalerts.relay;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.List;
import org.redisalerts.common.RelayKeys;
import redis.clients.jedis.RedisClient;

/**
 * The Redis side of delivery: claims alerts out of a recipient list into that key's claim
 * list, and settles claims (drops what was delivered, puts the rest back at the head of the
 * list, records dead letters). Each step is one atomic script, so a relay killed at any
 * moment leaves every alert either in its list or in its claim list.
 *
 * <p>Thread-safe: the client is pooled. Callers serialise the calls for one key.
 */
final class RedisQueues {

  private static final LuaScript CLAIM = LuaScript.load("claim.lua");
  private static final LuaScript SETTLE = LuaScript.load("settle.lua");

  private final RedisClient redis;
  private final RelayKeys keys;
  private final byte[] claimIndex;
  private final byte[] deadLetters;

  RedisQueues(RedisClient redis, RelayKeys keys) {
    this.redis = redis;
    this.keys = keys;
    this.claimIndex = keys.claimIndex().getBytes(UTF_8);
    this.deadLetters = keys.deadLetters().getBytes(UTF_8);
  }

  /**
   * What a claim took, and how many entries it left in the list.
   *
   * @param entries the claimed entries, oldest first; empty when the list was empty
   * @param left entries still in the list right after the claim
   */
  record Claim(List<byte[]> entries, long left) {}

  /**
   * Claims the oldest entries of {@code key}: at most {@code maxCount}, and no more than
   * {@code maxBytes} unless the first entry alone is larger. Leftovers of an earlier claim
   * are put back first, so they come out again, first.
   */
  Claim claim(String key, int maxCount, long maxBytes) {
    Object reply =
        CLAIM.run(
            redis,
            List.of(key.getBytes(UTF_8), claimListOf(key), claimIndex),
            List.of(
                Integer.toString(maxCount).getBytes(UTF_8),
                Long.toString(maxBytes).getBytes(UTF_8),
                key.getBytes(UTF_8)));
    List<?> values = (List<?>) reply;
    List<byte[]> entries = new ArrayList<>(values.size() - 1);
    for (Object o : values.subList(1, values.size())) {
      entries.add((byte[]) o);
    }
    return new Claim(entries, (Long) values.get(0));
  }

  /**
   * Settles the claim of {@code key}: the first {@code done} entries are gone for good,
   * {@code deadLetterRecords} are appended to the dead-letter list, and the remaining
   * entries go back to the head of the list in their order.
   *
   * @return how many entries went back
   */
  long settle(String key, int done, List<byte[]> deadLetterRecords) {
    List<byte[]> args = new ArrayList<>(2 + deadLetterRecords.size());
    args.add(Integer.toString(done).getBytes(UTF_8));
    args.add(key.getBytes(UTF_8));
    args.addAll(deadLetterRecords);
    Object reply =
        SETTLE.run(
            redis,
            List.of(key.getBytes(UTF_8), claimListOf(key), claimIndex, deadLetters),
            args);
    return (Long) reply;
  }

  /** Puts everything claimed for {@code key} back at the head of its list. */
  long returnClaim(String key) {
    return settle(key, 0, List.of());
  }

  /**
   * Drops the pool's idle connections: after Redis restarted they are all dead, and each
   * would otherwise fail one delivery step before the pool noticed.
   */
  void dropIdleConnections() {
    redis.getPool().clear();
  }

  private byte[] claimListOf(String key) {
    return keys.claimList(key).getBytes(UTF_8);
  }
}
