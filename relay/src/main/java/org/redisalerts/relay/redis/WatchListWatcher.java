package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.redisalerts.common.LogText;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RedisScript;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.relay.monitoring.RelayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Takes entries off the watch list in batches and tells the dispatcher which keys have new alerts,
 * each key once per batch. Owns its thread ({@code relay-watcher}) and its own Redis connection,
 * which blocks in BLPOP. Reconnects with capped exponential backoff, logging each change of Redis
 * state once. The first time Redis is reachable it also puts back what an earlier version of the
 * relay left in its claim lists.
 */
public final class WatchListWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WatchListWatcher.class);
  private static final double POLL_SECONDS = 1.0;
  private static final long FIRST_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 5_000;

  private static final RedisScript LEGACY_CLAIM =
      RedisScript.load(WatchListWatcher.class, "legacy-claim.lua");

  private final RedisEndpoint endpoint;
  private final RelayKeys keys;
  private final String watch;
  private final int batch;
  private final WatchEvents events;
  private final Thread thread;
  private final RelayMetrics metrics;
  private volatile boolean stopped;

  /** Written by the watcher thread only; read by health checks. */
  private volatile boolean reachable;

  private volatile String lastError = "not connected yet";

  /** Only touched by the watcher thread. */
  private boolean everReachable;

  /** Only touched by the watcher thread. */
  private long backoff = FIRST_BACKOFF_MS;

  /**
   * Redis's answer when it refuses the pop (it is reachable, but the watcher cannot watch), until a
   * pop succeeds; null otherwise. Written by the watcher thread only; read by health checks.
   */
  private volatile String refusal;

  public WatchListWatcher(
      RedisEndpoint endpoint, RelayKeys keys, int batch, WatchEvents events, RelayMetrics metrics) {
    this.metrics = metrics;
    this.endpoint = endpoint;
    this.keys = keys;
    this.watch = keys.watch();
    this.batch = batch;
    this.events = events;
    this.thread = new Thread(this::run, "relay-watcher");
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private void run() {
    while (!stopped) {
      try (Jedis jedis = endpoint.newConnection(5_000, "relay-watcher")) {
        jedis.ping();
        if (!everReachable) {
          recoverLegacyClaims(jedis);
          checkDeadLetterList(jedis);
        }
        if (!reachable) {
          reachable = true;
          log.info("redis reachable at {}; watching list \"{}\"", endpoint, watch);
          if (everReachable) {
            metrics.redisReconnected();
          }
          everReachable = true;
          events.redisAvailable();
        }
        if (refusal == null) {
          backoff = FIRST_BACKOFF_MS;
        }
        try {
          watch(jedis);
        } catch (JedisDataException e) {
          if (!stopped) {
            refused(e);
          }
        }
      } catch (JedisException e) {
        if (stopped) {
          break;
        }
        refusal = null; // an outage now, whatever Redis refused before
        lastError = e.getMessage();
        if (reachable) {
          reachable = false;
          log.warn(
              "redis unreachable at {}: {}; retrying with backoff up to {} ms",
              endpoint,
              e.getMessage(),
              MAX_BACKOFF_MS);
        } else if (backoff == FIRST_BACKOFF_MS) {
          log.warn(
              "redis not reachable at {}: {}; retrying with backoff up to {} ms",
              endpoint,
              e.getMessage(),
              MAX_BACKOFF_MS);
        }
        pause(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /**
   * Redis answers, but refuses the pop (the watch list holds another type, a replica is read-only,
   * an ACL): not an outage, so it is logged once, not as "unreachable" then "reachable" at every
   * retry, and the retries back off.
   */
  private void refused(JedisDataException e) {
    if (refusal == null) {
      log.warn(
          "redis refused the pop of watch list \"{}\": {}; retrying with backoff up to {} ms",
          watch,
          e.getMessage(),
          MAX_BACKOFF_MS);
    }
    refusal = e.getMessage();
    pause(backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  /** Whether the watcher is connected to Redis and watching. */
  public boolean redisReachable() {
    return reachable && refusal == null;
  }

  /** Whether the watcher thread is alive (it only ends on close). */
  public boolean running() {
    return thread.isAlive() && !stopped;
  }

  /** The last Redis error, for health reports. */
  public String lastError() {
    return lastError;
  }

  /**
   * Redis's refusal of the watcher's pop while it lasts (Redis answers, the watcher cannot pop).
   */
  public String refusal() {
    return refusal;
  }

  /**
   * Pops the watch list and tells the dispatcher which keys it named. When the pop found one entry
   * and nothing behind it, a round the dispatcher runs at once, on this thread, sends the next pop
   * behind its script ({@link WatchPop}); otherwise the next pop goes on its own, and the
   * dispatcher may send the step of the key it expects next behind it. A lone entry costs one round
   * trip and one wake-up (none of its own when its key was expected), and a backlog is drained a
   * batch (plus one) per round trip.
   */
  private void watch(Jedis jedis) {
    WatchPop pop = new WatchPop(jedis.getConnection(), watch, POLL_SECONDS, batch);
    while (!stopped) {
      Set<String> hinted = pop.read();
      if (refusal != null) {
        log.info("redis lets the watcher pop watch list \"{}\" again", watch);
        refusal = null;
        backoff = FIRST_BACKOFF_MS;
        events.redisAvailable(); // a replica promoted again may have lost what was recorded
      }
      if (!hinted.isEmpty()) {
        // Stopping: no new pop behind the round, so the stop waits for no more entries.
        events.watched(hinted, pop.drained() && !stopped ? pop : null);
      }
      if (!stopped) {
        events.popping(pop);
      }
    }
    if (pop.sent()) {
      // A round sent it just before the stop: what it popped is handed on, not dropped with the
      // connection (other relays of the watch list may hold those keys).
      Set<String> hinted = pop.read();
      if (!hinted.isEmpty()) {
        events.watched(hinted, null);
      }
    }
  }

  /**
   * Says at once when the dead-letter list names a key of another type: a key with a bad entry
   * would wait until it is a list (each says so when it comes to it).
   */
  private void checkDeadLetterList(Jedis jedis) {
    String type = jedis.type(keys.deadLetters());
    if (!type.equals("none") && !type.equals("list")) {
      log.warn(
          "the dead-letter list {} holds a {}, not a list: a key with an entry to dead-letter"
              + " waits until it is a list (delete it, or give --dead-letters another name)",
          LogText.quote(keys.deadLetters()),
          type);
    }
  }

  private void recoverLegacyClaims(Jedis jedis) {
    String index = keys.watch() + ":claims";
    for (String key : jedis.smembers(index)) {
      List<byte[]> names =
          List.of(
              key.getBytes(UTF_8),
              (keys.watch() + ":claim:" + key).getBytes(UTF_8),
              index.getBytes(UTF_8));
      long back;
      try {
        back = (Long) LEGACY_CLAIM.run(jedis, names, List.of(key.getBytes(UTF_8)));
      } catch (JedisDataException e) {
        log.warn(
            "cannot put back an earlier relay version's claim of key={}: {}",
            LogText.quote(key),
            e.getMessage());
        continue;
      }
      if (back > 0) {
        log.info(
            "put back {} alerts an earlier relay version left claimed, to the head of key={}",
            back,
            LogText.quote(key));
      }
    }
  }

  private void pause(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = true;
    }
  }

  /** Stops watching; returns once the thread has ended (at most about one poll interval). */
  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
