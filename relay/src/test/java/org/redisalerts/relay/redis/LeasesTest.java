package org.redisalerts.relay.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.testing.TestRedis;

/** The relays alive on a watch list (relays.lua), on Redis's clock. */
class LeasesTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  @Test
  void aRecordThatRanOutIsRecentForOneLeaseThenGoneAndALeaverIsGoneAtOnce() {
    RedisEndpoint endpoint = RedisEndpoint.parse(redis.url());
    RelayKeys keys = new RelayKeys("watch-leases");
    Duration shortLease = Duration.ofMillis(400);
    // The reader records itself at every read, as a relay does at every renewal; "a lease" is the
    // reader's (every relay of a watch list has the same --lease).
    try (Leases reader = new Leases(endpoint, keys, "reader:1", shortLease);
        Leases lapsing = new Leases(endpoint, keys, "lapsing:2", shortLease);
        Leases leaving = new Leases(endpoint, keys, "leaving:3", shortLease)) {
      lapsing.alive();
      leaving.alive();
      Leases.Living first = reader.alive();
      assertThat(first.tokens()).contains("reader:1", "lapsing:2", "leaving:3");
      assertThat(first.recent()).isEmpty();

      leaving.leave();
      assertThat(reader.alive().tokens()).doesNotContain("leaving:3");
      // Its record ran out (it did not record itself again): not alive, but recent.
      Leases.Living after =
          await()
              .atMost(Duration.ofSeconds(5))
              .pollInterval(Duration.ofMillis(20))
              .until(reader::alive, living -> !living.tokens().contains("lapsing:2"));
      assertThat(after.recent()).containsExactly("lapsing:2");
      assertThat(after.tokens()).containsExactly("reader:1");
      // A lease after it ran out, it is forgotten; recording itself again makes it alive.
      await().atMost(Duration.ofSeconds(5)).until(() -> reader.alive().recent().isEmpty());
      Leases.Living back = lapsing.alive();
      assertThat(back.wasRecorded()).isFalse();
      assertThat(back.tokens()).contains("lapsing:2", "reader:1");
    }
  }
}
