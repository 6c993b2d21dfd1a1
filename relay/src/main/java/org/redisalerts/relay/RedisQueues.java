package org.redisalerts.relay;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.List;
import org.redisalerts.common.RelayKeys;
import redis.clients.jedis.RedisClient;

/**
 * The Redis side of delivery: one atomic script per step finishes a key's previous claim (drops
 * what was written or dead-lettered, records dead letters, puts the rest back at the head of the
 * list) and claims the next batch into the key's claim list. A relay killed at any moment leaves
 * every alert either in its list or in its claim list.
 *
 * <p>Thread-safe: the client is pooled. Callers serialise the calls for one key.
 */
final class RedisQueues {

  private static final LuaScript SETTLE_AND_CLAIM = LuaScript.load("settle-and-claim.lua");

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
   * What a step took, and what it did with the previous claim.
   *
   * @param entries the claimed entries, oldest first; empty when the list was empty
   * @param left entries still in the list right after the claim
   * @param back entries of the previous claim that were not done and went back to the head of the
   *     list (they are the first claimed again)
   */
  record Claim(List<byte[]> entries, long left, long back) {}

  /**
   * Finishes the previous claim of {@code key} (the first {@code done} entries are gone for good,
   * {@code deadLetterRecords} are appended to the dead-letter list, the rest goes back to the head
   * of the list in order), then claims its oldest entries: at most {@code maxCount}, and no more
   * than {@code maxBytes} unless the first entry alone is larger.
   */
  Claim settleAndClaim(
      String key, int done, List<byte[]> deadLetterRecords, int maxCount, long maxBytes) {
    byte[] recipients = key.getBytes(UTF_8);
    List<byte[]> args = new ArrayList<>(4 + deadLetterRecords.size());
    args.add(recipients);
    args.add(Integer.toString(done).getBytes(UTF_8));
    args.add(Integer.toString(maxCount).getBytes(UTF_8));
    args.add(Long.toString(maxBytes).getBytes(UTF_8));
    args.addAll(deadLetterRecords);
    List<?> values =
        (List<?>)
            SETTLE_AND_CLAIM.run(
                redis, List.of(recipients, claimListOf(key), claimIndex, deadLetters), args);
    List<byte[]> entries = new ArrayList<>(values.size() - 2);
    for (Object o : values.subList(2, values.size())) {
      entries.add((byte[]) o);
    }
    return new Claim(entries, (Long) values.get(1), (Long) values.get(0));
  }

  /**
   * Finishes the previous claim of {@code key} without claiming more.
   *
   * @return how many entries went back to the head of the list
   */
  long settle(String key, int done, List<byte[]> deadLetterRecords) {
    return settleAndClaim(key, done, deadLetterRecords, 0, 0).back();
  }

  /**
   * Drops the pool's idle connections: after Redis restarted they are all dead, and each would
   * otherwise fail one delivery step before the pool noticed.
   */
  void dropIdleConnections() {
    redis.getPool().clear();
  }

  private byte[] claimListOf(String key) {
    return keys.claimList(key).getBytes(UTF_8);
  }
}
