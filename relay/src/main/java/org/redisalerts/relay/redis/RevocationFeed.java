package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.List;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.relay.auth.RevocationList.Revocation;
import redis.clients.jedis.Jedis;

/**
 * Keeps a relay's view of token revocations current: loads them all when Redis is reachable (at
 * start, and again after every outage, so a revocation made meanwhile is not missed), then listens
 * on the revocation channel. Owns its subscription ({@code relay-revocations}).
 */
public final class RevocationFeed implements AutoCloseable {

  /** What the feed tells the relay; called on the feed's thread. */
  public interface Listener {
    /** Everything that still matters, after a (re)connect. */
    void replaced(List<Revocation> all);

    /** One new revocation. */
    void added(Revocation revocation);
  }

  private final ChannelSubscription subscription;

  public RevocationFeed(RedisEndpoint endpoint, Revocations revocations, Listener listener) {
    this.subscription =
        new ChannelSubscription(
            endpoint,
            "relay-revocations",
            revocations.channel().getBytes(UTF_8),
            Duration.ofSeconds(5),
            new ChannelSubscription.Handler() {
              @Override
              public void subscribed(boolean again) {
                // Subscribed first, loaded second: a revocation in between is in one or both.
                // (A subscribed connection runs nothing else: the load takes one of its own.)
                try (Jedis loader = endpoint.newConnection(5_000, "relay-revocations-load")) {
                  listener.replaced(revocations.load(loader));
                }
              }

              @Override
              public void message(byte[] payload) {
                Revocation r = Revocations.parse(new String(payload, UTF_8));
                if (r != null) {
                  listener.added(r);
                }
              }
            });
  }

  public void start() {
    subscription.start();
  }

  @Override
  public void close() {
    subscription.close();
  }
}
