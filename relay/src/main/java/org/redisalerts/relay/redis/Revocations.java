package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.redisalerts.common.RedisScript;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.relay.auth.RevocationList.Kind;
import org.redisalerts.relay.auth.RevocationList.Revocation;
import redis.clients.jedis.Jedis;

/**
 * Token revocations in Redis, under the watch list's name: a sorted set ({@code <watch>:revoked})
 * whose entries expire when they stop mattering, and a channel ({@code <watch>:revocations}) that
 * tells every relay of a new one at once. Stateless; the caller owns the connection.
 */
public final class Revocations {

  private static final RedisScript REVOKE = RedisScript.load(Revocations.class, "revoke.lua");
  private static final RedisScript LOAD = RedisScript.load(Revocations.class, "revocations.lua");

  private final String set;
  private final String channel;

  public Revocations(RelayKeys keys) {
    this.set = keys.watch() + ":revoked";
    this.channel = keys.watch() + ":revocations";
  }

  public String channel() {
    return channel;
  }

  /**
   * Revokes by {@code kind} for {@code keep} (as long as the longest token issued), and tells the
   * relays.
   */
  public Revocation revoke(Jedis jedis, Kind kind, String value, Duration keep) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("nothing to revoke: the " + kind + " is empty");
    }
    if (keep.isNegative() || keep.isZero()) {
      throw new IllegalArgumentException("a revocation must be kept a positive time: " + keep);
    }
    Object member =
        REVOKE.run(
            jedis,
            List.of(set.getBytes(UTF_8)),
            List.of(
                kind.name().toLowerCase(Locale.ROOT).getBytes(UTF_8),
                value.getBytes(UTF_8),
                Long.toString(keep.toMillis()).getBytes(UTF_8),
                channel.getBytes(UTF_8)));
    return parse(new String((byte[]) member, UTF_8));
  }

  /** Every revocation that still matters. */
  public List<Revocation> load(Jedis jedis) {
    List<?> members = (List<?>) LOAD.run(jedis, List.of(set.getBytes(UTF_8)), List.of());
    List<Revocation> all = new ArrayList<>(members.size());
    for (Object m : members) {
      Revocation r = parse(new String((byte[]) m, UTF_8));
      if (r != null) {
        all.add(r);
      }
    }
    return all;
  }

  /** A member or channel message, {@code <kind>:<ms>:<value>}; null when malformed. */
  public static Revocation parse(String member) {
    String[] parts = member.split(":", 3);
    if (parts.length != 3) {
      return null;
    }
    Kind kind;
    long at;
    try {
      kind = Kind.valueOf(parts[0].toUpperCase(Locale.ROOT));
      at = Long.parseLong(parts[1]);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return new Revocation(kind, parts[2], Instant.ofEpochMilli(at));
  }
}
