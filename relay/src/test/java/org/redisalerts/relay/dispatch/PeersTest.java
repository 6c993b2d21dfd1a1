package org.redisalerts.relay.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.relay.monitoring.RelayMetrics;
import org.redisalerts.relay.redis.Leases;
import org.redisalerts.testing.TestRedis;

/** The forward lists of the keys a relay holds (SPEC 10), on a real Redis. */
class PeersTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final Duration LEASE = Duration.ofSeconds(10);
  private static final String KEY = "alert/peers-1";

  /**
   * A renewal that found the lease lost drops the forward list it saw, not the one a step that took
   * the lease again put meanwhile, though both name the same relays (from the key's presence). The
   * tick compared them by content before: the key stayed held with no list, and the other relay's
   * connections got nothing (the outside fault test: Redis paused past the lease, three relays).
   */
  @Test
  void aLostLeaseDropsTheForwardListItSawNotOneTakenSince() {
    RedisEndpoint endpoint = RedisEndpoint.parse(redis.url());
    RelayKeys keys = new RelayKeys("watch-peers");
    try (Leases other = new Leases(endpoint, keys, "other:2", LEASE);
        Peers peers =
            new Peers(
                "this:1",
                LEASE,
                Duration.ofSeconds(5),
                endpoint,
                keys,
                new Leases(endpoint, keys, "this:1", LEASE),
                new ConnectionRegistry(),
                new RelayMetrics())) {
      other.alive(); // the other relay is among the living, so the list names it
      peers.acquired(KEY, Map.of("other:2", false));
      Map<String, Boolean> seenByRenewal = peers.remotes(KEY);
      assertThat(seenByRenewal).containsOnlyKeys("other:2");

      peers.acquired(KEY, Map.of("other:2", false)); // taken again, before the loss is read
      Map<String, Boolean> taken = peers.remotes(KEY);
      assertThat(taken).isNotSameAs(seenByRenewal).isEqualTo(seenByRenewal);

      assertThat(peers.dropForwardList(KEY, seenByRenewal)).isFalse();
      assertThat(peers.remotes(KEY)).isSameAs(taken).containsOnlyKeys("other:2");

      assertThat(peers.dropForwardList(KEY, taken)).isTrue();
      assertThat(peers.remotes(KEY)).isEmpty();
    }
  }
}
