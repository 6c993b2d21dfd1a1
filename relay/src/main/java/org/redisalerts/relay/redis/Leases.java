package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RedisScript;
import org.redisalerts.common.RelayKeys;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The records that let several relays share one watch list (SPEC 10), apart from what a delivery
 * step does itself: renewing and releasing the leases a relay holds (leases.lua), and the set of
 * relays alive (relays.lua), both on Redis's clock.
 *
 * <p>Thread-safe (one connection of its own, used under a lock; opened on first use and again after
 * a failure).
 */
public final class Leases implements AutoCloseable {

  private static final RedisScript LEASES = RedisScript.load(Leases.class, "leases.lua");
  private static final RedisScript RELAYS = RedisScript.load(Leases.class, "relays.lua");

  /** Keys per script call, so one call stays short. */
  private static final int CHUNK = 1000;

  private final RedisEndpoint endpoint;
  private final RelayKeys keys;
  private final String token;
  private final Duration lease;
  private Jedis jedis;

  public Leases(RedisEndpoint endpoint, RelayKeys keys, String token, Duration lease) {
    this.endpoint = endpoint;
    this.keys = keys;
    this.token = token;
    this.lease = lease;
  }

  /**
   * Renews the leases of {@code held}.
   *
   * @return the keys whose lease this relay no longer holds
   * @throws redis.clients.jedis.exceptions.JedisException when Redis is unreachable
   */
  public synchronized List<String> renew(Collection<String> held) {
    return run(token, held, lease.toMillis(), false);
  }

  /**
   * Releases the leases of {@code held} (those still this relay's), and with {@code leave} takes
   * this relay out of the keys' presence too.
   */
  public synchronized void release(Collection<String> held, boolean leave) {
    run(token, held, 0, leave);
  }

  /**
   * For a relay known to be gone (its process is): frees the leases of {@code keys} that it holds,
   * takes it out of their presence and off the relays alive, so its keys need not wait a lease.
   */
  public synchronized void releaseGone(String relay, Collection<String> keys) {
    run(relay, keys, 0, true);
    call(RELAYS, List.of(this.keys.relays()), List.of(relay, Long.toString(lease.toMillis()), "0"));
  }

  private List<String> run(String token, Collection<String> held, long millis, boolean leave) {
    List<String> lost = new ArrayList<>();
    List<String> all = new ArrayList<>(held);
    for (int from = 0; from < all.size(); from += CHUNK) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + CHUNK));
      List<String> names = new ArrayList<>(chunk.size() * 2);
      for (String key : chunk) {
        names.add(keys.lease(key));
        names.add(keys.presence(key));
      }
      List<?> reply =
          (List<?>) call(LEASES, names, List.of(token, Long.toString(millis), leave ? "1" : "0"));
      for (int i = 0; i < chunk.size(); i++) {
        if ((Long) reply.get(i) == 0) {
          lost.add(chunk.get(i));
        }
      }
    }
    return lost;
  }

  /**
   * Who holds the leases of {@code names} (one round trip); keys whose lease is free are left out.
   */
  public synchronized Map<String, String> holders(Collection<String> names) {
    List<String> all = new ArrayList<>(names);
    Map<String, String> holders = new HashMap<>();
    try {
      if (jedis == null) {
        jedis = endpoint.newConnection(5_000, "relay-leases");
      }
      Pipeline pipeline = jedis.pipelined();
      List<Response<byte[]>> replies = new ArrayList<>(all.size());
      for (String key : all) {
        replies.add(pipeline.get(keys.lease(key).getBytes(UTF_8)));
      }
      pipeline.sync();
      for (int i = 0; i < all.size(); i++) {
        byte[] lease = replies.get(i).get();
        if (lease != null) {
          holders.put(all.get(i), holder(new String(lease, UTF_8)));
        }
      }
    } catch (JedisConnectionException e) {
      disconnect();
      throw e;
    }
    return holders;
  }

  /** The holder's token in a lease's value (which goes on with the mark of its last step). */
  static String holder(String lease) {
    int mark = lease.indexOf('#');
    return mark < 0 ? lease : lease.substring(0, mark);
  }

  /**
   * The relays alive, as one call to {@link #alive} found them.
   *
   * @param tokens every relay alive (this one included)
   * @param wasRecorded whether this relay's own record was still there before the call renewed it;
   *     false when it had run out or Redis lost it, so other relays may have counted this one gone
   * @param recent the relays whose record ran out less than a lease ago (not stopped cleanly): a
   *     Redis paused past the lease lets every record run out, and each relay records itself again
   *     only at its next renewal
   */
  public record Living(Set<String> tokens, boolean wasRecorded, Set<String> recent) {}

  /** Records this relay as alive for one more lease and returns the relays alive. */
  public synchronized Living alive() {
    return relays("1");
  }

  /** Takes this relay off the relays alive (a clean stop). */
  public synchronized void leave() {
    relays("0");
  }

  private Living relays(String stay) {
    List<?> reply =
        (List<?>)
            call(
                RELAYS,
                List.of(keys.relays()),
                List.of(token, Long.toString(lease.toMillis()), stay));
    int living = ((Long) reply.get(1)).intValue();
    Set<String> alive = new LinkedHashSet<>();
    Set<String> recent = new LinkedHashSet<>();
    for (int i = 2; i < reply.size(); i++) {
      (i < 2 + living ? alive : recent).add(new String((byte[]) reply.get(i), UTF_8));
    }
    return new Living(alive, ((Long) reply.get(0)) == 1L, recent);
  }

  private Object call(RedisScript script, List<String> names, List<String> args) {
    List<byte[]> k = new ArrayList<>(names.size());
    names.forEach(n -> k.add(n.getBytes(UTF_8)));
    List<byte[]> a = new ArrayList<>(args.size());
    args.forEach(v -> a.add(v.getBytes(UTF_8)));
    try {
      if (jedis == null) {
        jedis = endpoint.newConnection(5_000, "relay-leases");
      }
      return script.run(jedis, k, a);
    } catch (JedisConnectionException e) {
      disconnect();
      throw e;
    }
  }

  private void disconnect() {
    if (jedis != null) {
      try {
        jedis.close();
      } catch (RuntimeException e) {
        // broken already
      }
      jedis = null;
    }
  }

  @Override
  public synchronized void close() {
    disconnect();
  }
}
