package org.redisalerts.relay.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
   * After Redis paused past the lease every relay's record has run out, and each records itself
   * again only at its next renewal. A relay that takes a key then must still forward to the relays
   * whose presence the key names: before, one left out missed what that step read (an outside fault
   * test and SeveralRelaysTest saw one to three alerts missing on a connection). A relay whose
   * record ran out more than a lease ago, or that left, is not forwarded to.
   */
  @Test
  void aKeyTakenAfterEveryRecordRanOutIsForwardedToTheRelaysItsPresenceNames() {
    RedisEndpoint endpoint = RedisEndpoint.parse(redis.url());
    RelayKeys keys = new RelayKeys("watch-peers-recent");
    Duration shortLease = Duration.ofMillis(400);
    try (Leases lapsing = new Leases(endpoint, keys, "lapsing:2", shortLease);
        Leases leaving = new Leases(endpoint, keys, "leaving:3", LEASE);
        Leases reader = new Leases(endpoint, keys, "reader:4", LEASE);
        Peers peers = peers(endpoint, keys)) {
      lapsing.alive();
      leaving.alive();
      leaving.leave();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> reader.alive().recent().contains("lapsing:2"));

      // This relay's own record ran out too (a Redis-wide pause): it reads the living once,
      // its record goes, and its next read finds it gone.
      peers.acquired("alert/peers-other", Map.of("unknown:9", false));
      redis.client().zrem(keys.relays(), "this:1");
      Map<String, Boolean> presence =
          Map.of("lapsing:2", false, "leaving:3", false, "long-gone:5", true, "this:1", false);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> {
                peers.acquired(KEY, presence); // asks the living again 100 ms after the last
                return peers.remotes(KEY).containsKey("lapsing:2");
              });

      assertThat(peers.remotes(KEY)).containsOnlyKeys("lapsing:2");
    }
  }

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
        Peers peers = peers(endpoint, keys)) {
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

  /** This relay's Peers, "this:1", not started: its lease keeper and bus do not run. */
  /**
   * When many clients leave at once (a network blip, a page deployed), their keys' leases go back
   * together: one round trip per lease held up the lease ticks, which share the thread, for as long
   * as the releases took (a second or more for tens of thousands of keys).
   */
  @Test
  void leasesGivenBackAtOnceGoBackInAFewCalls() {
    RedisEndpoint endpoint = RedisEndpoint.parse(redis.url());
    RelayKeys keys = new RelayKeys("watch-peers-leaving");
    int count = 2_000;
    for (int i = 0; i < count; i++) {
      redis.client().set(keys.lease("alert/leaving-" + i), "this:1");
    }
    assertThat(redis.client().keys(keys.lease("alert/leaving-*"))).hasSize(count);
    try (Peers peers = peers(endpoint, keys)) {
      long before = redis.scriptCalls();
      for (int i = 0; i < count; i++) {
        peers.released("alert/leaving-" + i, true);
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> redis.client().keys(keys.lease("alert/leaving-*")).isEmpty());
      assertThat(redis.scriptCalls() - before).isLessThan(count / 10);
    }
  }

  private static Peers peers(RedisEndpoint endpoint, RelayKeys keys) {
    return new Peers(
        "this:1",
        LEASE,
        Duration.ofSeconds(5),
        Duration.ofSeconds(5),
        100,
        endpoint,
        keys,
        new Leases(endpoint, keys, "this:1", LEASE),
        new ConnectionRegistry(),
        new RelayMetrics());
  }

  @Test
  void onlyAGoneProcessOfThisRelaysDefaultIdInTheSameKernelAndPidNamespaceIsTakenFrom() {
    // Taking a live relay's lease loses alerts: an outside probe ran a relay in another pid
    // namespace with the same host name, and its keys were taken because its pid was not
    // running here.
    String tag = ThisMachine.processIdsTag();
    long me = ProcessHandle.current().pid();
    String mine = "vm-" + me + ":" + tag + "00000000";
    java.util.function.LongPredicate nothingRuns = pid -> false;
    java.util.function.LongPredicate everythingRuns = pid -> true;
    assertThat(Peers.isGoneEarlierProcessHere(mine, "vm-12345:" + tag + "11111111", nothingRuns))
        .isTrue();
    assertThat(Peers.isGoneEarlierProcessHere(mine, "vm-12345:" + tag + "11111111", everythingRuns))
        .as("its process runs")
        .isFalse();
    String otherTag = tag.equals("00000000") ? "11111111" : "00000000";
    assertThat(
            Peers.isGoneEarlierProcessHere(mine, "vm-12345:" + otherTag + "11111111", nothingRuns))
        .as("another kernel or pid namespace")
        .isFalse();
    assertThat(Peers.isGoneEarlierProcessHere(mine, "web-12345:" + tag + "1111", nothingRuns))
        .as("another host")
        .isFalse();
    assertThat(
            Peers.isGoneEarlierProcessHere(
                "relay-a:" + tag + "0000", "relay-b:" + tag + "1111", nothingRuns))
        .as("ids given with --relay-id")
        .isFalse();
  }
}
