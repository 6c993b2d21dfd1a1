package org.redisalerts.relay.redis;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.redisalerts.common.RedisEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A subscription to one Redis pub/sub channel, on a thread and a connection of its own, that
 * outlives Redis outages: it subscribes again with backoff (from 100 ms, doubling up to a cap) and
 * says so each time it is subscribed, since what was published while it was not is lost.
 */
public final class ChannelSubscription implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ChannelSubscription.class);
  private static final long FIRST_BACKOFF_MS = 100;

  /** What the subscription tells its owner; called on the subscription's thread. */
  public interface Handler {
    /**
     * Subscribed: messages reach the handler from now on. {@code again} after an outage, when
     * messages published meanwhile were lost.
     */
    void subscribed(boolean again);

    /** One message published on the channel. */
    void message(byte[] payload);
  }

  private final RedisEndpoint endpoint;
  private final byte[] channel;
  private final long maxBackoffMs;
  private final Handler handler;
  private final Thread thread;
  private final CountDownLatch firstSubscribed = new CountDownLatch(1);
  private volatile boolean closed;
  private volatile Jedis connection;
  private volatile BinaryJedisPubSub subscription;

  /**
   * @param threadName the thread's name, also the connection's client name
   * @param maxBackoff the longest wait between two attempts while Redis is away
   */
  public ChannelSubscription(
      RedisEndpoint endpoint,
      String threadName,
      byte[] channel,
      Duration maxBackoff,
      Handler handler) {
    this.endpoint = endpoint;
    this.channel = channel.clone();
    this.maxBackoffMs = maxBackoff.toMillis();
    this.handler = handler;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  /**
   * Waits, at most {@code timeout}, until subscribed the first time.
   *
   * @return whether it is
   */
  public boolean awaitSubscribed(Duration timeout) throws InterruptedException {
    return firstSubscribed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void run() {
    long backoff = FIRST_BACKOFF_MS;
    boolean first = true;
    while (!closed) {
      try (Jedis jedis = endpoint.newConnection(0, thread.getName())) {
        connection = jedis;
        boolean again = !first;
        BinaryJedisPubSub pubsub =
            new BinaryJedisPubSub() {
              @Override
              public void onSubscribe(byte[] name, int count) {
                firstSubscribed.countDown();
                handler.subscribed(again);
              }

              @Override
              public void onMessage(byte[] from, byte[] payload) {
                handler.message(payload);
              }
            };
        subscription = pubsub;
        first = false;
        backoff = FIRST_BACKOFF_MS;
        jedis.subscribe(pubsub, channel);
      } catch (JedisException | IllegalStateException e) {
        if (closed) {
          return;
        }
        first = false;
        log.debug("{} lost its subscription: {}", thread.getName(), e.getMessage());
        try {
          TimeUnit.MILLISECONDS.sleep(backoff);
        } catch (InterruptedException interrupted) {
          return; // closing
        }
        backoff = Math.min(maxBackoffMs, backoff * 2);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    BinaryJedisPubSub sub = subscription;
    if (sub != null) {
      try {
        sub.unsubscribe();
      } catch (RuntimeException e) {
        // not subscribed (any more): closing the connection below ends the thread
      }
    }
    Jedis jedis = connection;
    if (jedis != null) {
      try {
        jedis.close();
      } catch (RuntimeException e) {
        // broken already
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
