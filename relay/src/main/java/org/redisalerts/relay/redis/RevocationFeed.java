package org.redisalerts.relay.redis;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.relay.auth.RevocationList.Revocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Keeps a relay's view of token revocations current: loads them all when Redis is reachable (at
 * start, and again after every outage, so a revocation made meanwhile is not missed), then listens
 * on the revocation channel. Owns its thread ({@code relay-revocations}) and its connection.
 */
public final class RevocationFeed implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RevocationFeed.class);
  private static final long FIRST_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 5_000;

  /** What the feed tells the relay; called on the feed's thread. */
  public interface Listener {
    /** Everything that still matters, after a (re)connect. */
    void replaced(List<Revocation> all);

    /** One new revocation. */
    void added(Revocation revocation);
  }

  private final RedisEndpoint endpoint;
  private final Revocations revocations;
  private final Listener listener;
  private final Thread thread;
  private volatile boolean stopped;
  private volatile Jedis connection;
  private volatile JedisPubSub subscription;

  public RevocationFeed(RedisEndpoint endpoint, Revocations revocations, Listener listener) {
    this.endpoint = endpoint;
    this.revocations = revocations;
    this.listener = listener;
    this.thread = new Thread(this::run, "relay-revocations");
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private void run() {
    long backoff = FIRST_BACKOFF_MS;
    while (!stopped) {
      try (Jedis jedis = endpoint.newConnection(5_000, "relay-revocations")) {
        connection = jedis;
        JedisPubSub sub =
            new JedisPubSub() {
              @Override
              public void onSubscribe(String channel, int count) {
                // Subscribed first, loaded second: a revocation in between is in one or both.
                // (A subscribed connection runs nothing else: the load takes one of its own.)
                try (Jedis loader = endpoint.newConnection(5_000, "relay-revocations-load")) {
                  listener.replaced(revocations.load(loader));
                }
              }

              @Override
              public void onMessage(String channel, String message) {
                Revocation r = Revocations.parse(message);
                if (r != null) {
                  listener.added(r);
                }
              }
            };
        subscription = sub;
        backoff = FIRST_BACKOFF_MS;
        jedis.subscribe(sub, revocations.channel());
      } catch (JedisException e) {
        if (stopped) {
          break;
        }
        log.debug("revocation feed lost Redis: {}", e.getMessage());
        pause(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
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

  @Override
  public void close() {
    stopped = true;
    JedisPubSub sub = subscription;
    if (sub != null) {
      try {
        sub.unsubscribe();
      } catch (RuntimeException e) {
        // Not subscribed (any more): the connection close below ends the thread.
      }
    }
    Jedis jedis = connection;
    if (jedis != null) {
      try {
        jedis.close();
      } catch (RuntimeException e) {
        // Already broken.
      }
    }
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
