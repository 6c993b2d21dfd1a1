package org.redisalerts.relay.cluster;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.redisalerts.common.LogText;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.relay.monitoring.ThrottledLog;
import org.redisalerts.relay.redis.ChannelSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Messages between the relays of one watch list, over Redis pub/sub (SPEC 10): each relay listens
 * on a channel named after its token ({@link RelayKeys#relayChannel}) and sends to the others'.
 * Pub/sub keeps one sender's messages in order and loses them only when a connection drops;
 * whatever depends on a message also has a deadline or a record in Redis to fall back on.
 *
 * <p>Two threads: {@code relay-bus-in} (subscribed; resubscribes after an outage and then says so)
 * and {@code relay-bus-out} (sends what was queued, pipelined).
 */
public final class RelayBus implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RelayBus.class);

  /** What arrives. Called on the receiving thread, in order; must not block. */
  public interface Listener {
    void received(BusMessage message);

    /** The subscription was lost and is back: messages sent meanwhile are gone. */
    void resubscribed();
  }

  private record Outgoing(byte[] channel, byte[] payload) {}

  private final RedisEndpoint endpoint;
  private final RelayKeys keys;
  private final String token;
  private final Listener listener;
  private final BlockingQueue<Outgoing> outgoing = new LinkedBlockingQueue<>(100_000);
  private final ThrottledLog throttled = new ThrottledLog(log, Duration.ofMinutes(1));
  private final ChannelSubscription in;
  private final Thread out;
  private volatile boolean closed;

  public RelayBus(RedisEndpoint endpoint, RelayKeys keys, String token, Listener listener) {
    this.endpoint = endpoint;
    this.keys = keys;
    this.token = token;
    this.listener = listener;
    this.in =
        new ChannelSubscription(
            endpoint,
            "relay-bus-in",
            keys.relayChannel(token).getBytes(UTF_8),
            Duration.ofSeconds(1), // short: messages to this relay are lost while it is away
            new ChannelSubscription.Handler() {
              @Override
              public void subscribed(boolean again) {
                if (again) {
                  // Only now can messages reach this relay: tell the others again what they may
                  // have missed.
                  listener.resubscribed();
                }
              }

              @Override
              public void message(byte[] payload) {
                BusMessage decoded;
                try {
                  decoded = BusMessage.decode(payload);
                } catch (IllegalArgumentException e) {
                  throttled.warn("bad", "ignored a message that is not one: " + e.getMessage());
                  return;
                }
                listener.received(decoded);
              }
            });
    this.out = new Thread(this::send, "relay-bus-out");
    out.setDaemon(true);
  }

  public void start() {
    in.start();
    out.start();
  }

  /**
   * Waits until this relay listens on its channel (messages sent to it before are lost), at most
   * {@code timeout}: Redis may be down at start, and the relay starts anyway.
   *
   * @return whether it listens
   */
  public boolean awaitSubscribed(Duration timeout) throws InterruptedException {
    return in.awaitSubscribed(timeout);
  }

  /** Queues {@code message} for the relay whose token is {@code to}; never blocks. */
  public void send(String to, BusMessage message) {
    if (closed) {
      return;
    }
    if (!outgoing.offer(new Outgoing(keys.relayChannel(to).getBytes(UTF_8), message.encode()))) {
      throttled.warn("full", "messages to other relays are dropped: the queue is full");
    }
  }

  private void send() {
    Jedis jedis = null;
    List<Outgoing> batch = new ArrayList<>();
    while (!closed || !outgoing.isEmpty()) {
      try {
        Outgoing first = outgoing.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.clear();
        batch.add(first);
        outgoing.drainTo(batch, 999);
        try {
          if (jedis == null) {
            jedis = endpoint.newConnection(5_000, "relay-bus-out");
          }
          publish(jedis, batch);
        } catch (JedisConnectionException e) {
          // The connection may be one Redis dropped while idle (a restart): try once on a new
          // one. A message that went through already comes twice; every kind bears that.
          closeQuietly(jedis);
          jedis = null;
          jedis = endpoint.newConnection(5_000, "relay-bus-out");
          publish(jedis, batch);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (JedisException e) {
        throttled.warn(
            "send", "messages to other relays were lost (" + batch.size() + "): " + e.getMessage());
        closeQuietly(jedis);
        jedis = null;
        sleep(200);
      }
    }
    if (jedis != null) {
      jedis.close();
    }
  }

  /**
   * Publishes {@code batch}, pipelined. A message Redis refused (an ACL that does not let this
   * relay's user publish to another relay's channel, a read-only replica) is lost like one sent
   * while a connection dropped, but said: once a minute, with how many and Redis's reason.
   */
  private void publish(Jedis jedis, List<Outgoing> batch) {
    Pipeline pipeline = jedis.pipelined();
    for (Outgoing o : batch) {
      pipeline.publish(o.channel(), o.payload());
    }
    int refused = 0;
    String reason = null;
    for (Object reply : pipeline.syncAndReturnAll()) {
      if (reply instanceof JedisDataException e) {
        refused++;
        reason = e.getMessage();
      }
    }
    if (refused > 0) {
      throttled.warn(
          "refused",
          "messages to other relays were refused by Redis ("
              + refused
              + " of "
              + batch.size()
              + "): "
              + LogText.quote(reason));
    }
  }

  private static void closeQuietly(Jedis jedis) {
    if (jedis != null) {
      try {
        jedis.close();
      } catch (RuntimeException ignored) {
        // broken already
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    in.close();
    try {
      out.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
