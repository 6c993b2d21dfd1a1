package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;
import redis.clients.jedis.Protocol;

/**
 * SPEC 3, no loss on relay faults: what a stopped relay had read but not finished is read again.
 * This version never moves an alert out of its list before it is written; an earlier version moved
 * batches into claim lists ({@code watch:claim:<key>}), and what a crashed relay of that version
 * left there goes back to the head of its list when this one starts.
 */
class RecoveryTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  /** A relay whose connections to the test Redis go through {@code proxy}. */
  private static RelayServer startThrough(
      ReplyLosingProxy proxy, UnaryOperator<RelayConfig.Builder> settings) throws Exception {
    RedisEndpoint through = RedisEndpoint.parse("redis://127.0.0.1:" + proxy.port());
    return new RelayServer(
            settings.apply(RelayConfig.builder(through).bind("127.0.0.1").port(0)).build())
        .start();
  }

  /** Leaves Redis as a relay of the earlier version killed mid-batch would. */
  private static void leaveAnOldClaimBehind(String key) {
    redis.client().rpush("watch:claim:" + key, alert("claimed", 1), alert("claimed", 2));
    redis.client().sadd("watch:claims", key);
    redis.client().rpush(key, alert("queued", 3));
  }

  @Test
  void claimsLeftByAnEarlierVersionGoBackToTheHeadOfTheirListOnStart() throws Exception {
    leaveAnOldClaimBehind("alert/pool-away");
    try (RelayServer relay = startRelay(redis)) {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> !redis.client().exists("watch:claim:alert/pool-away"));
      assertThat(redis.client().lrange("alert/pool-away", 0, -1))
          .containsExactly(alert("claimed", 1), alert("claimed", 2), alert("queued", 3));
      assertThat(redis.client().exists("watch:claims")).isFalse();

      RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-away");
      assertThat(client.nextTexts(3))
          .containsExactly(alert("claimed", 1), alert("claimed", 2), alert("queued", 3));
      new TestPublisher(redis).push("alert/pool-away", alert("live", 4));
      assertThat(client.nextText()).isEqualTo(alert("live", 4));
      client.closeAndWait();
    }
  }

  @Test
  void aStepThatFailsKeepsWhatItHeldAndTrimsItOnceRedisAnswersAgain() throws Exception {
    // The batch stays held until the client acknowledges it (a settle delay alone would not
    // hold it: any other step trims written batches); then the delivery connection is killed,
    // so the step the acknowledgement starts fails. It must neither drop what it held (a
    // duplicate later) nor trim what it did not deliver.
    try (RelayServer relay = startRelay(redis)) {
      redis.client().rpush("alert/pool-1", alert("first", 1));
      RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply("alert/pool-1");
      assertThat(client.nextText()).isEqualTo(alert("first", 1));
      assertThat(redis.client().lrange("alert/pool-1", 0, -1)).containsExactly(alert("first", 1));

      redis
          .client()
          .sendCommand(Protocol.Command.CLIENT, "KILL", "TYPE", "normal", "SKIPME", "yes");
      new TestPublisher(redis).push("alert/pool-1", alert("second", 2));
      client.ack(1);

      assertThat(client.nextText()).as("the next alert, once").isEqualTo(alert("second", 2));
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> !redis.client().lrange("alert/pool-1", 0, -1).contains(alert("first", 1)));
      assertThat(redis.client().lrange("alert/pool-1", 0, -1))
          .as("nothing but what was written may have been trimmed")
          .isSubsetOf(alert("second", 2));
      client.assertNoMoreEvents();
      client.closeAndWait();
    }
  }

  @Test
  void aStepWhoseReplyWasLostAfterItRanIsNotRunTwiceThoughTheAlertsAreIdentical() throws Exception {
    // Redis trims the written alert and the reply is lost with the connection; the alerts pushed
    // next are byte for byte the same, so the head check of the step sent again passes. Only the
    // mark the step left with the lease tells that it ran: without it, one of them was trimmed
    // unread.
    String same = alert("the same", 1);
    try (ReplyLosingProxy proxy = new ReplyLosingProxy(redis.port());
        RelayServer relay = startThrough(proxy, b -> b)) {
      RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-same");
      // Armed before the alert is pushed: the step that trims it may go out the moment it is
      // written. No request holds the alert before that step (it checks the head against it).
      proxy.loseReplyToRequestWith(same);
      TestPublisher publisher = new TestPublisher(redis);
      publisher.push("alert/pool-same", same);
      assertThat(client.nextText()).isEqualTo(same);

      assertThat(proxy.awaitCut(10)).as("the trim's reply lost").isTrue();
      assertThat(redis.client().llen("alert/pool-same")).as("Redis ran the trim").isZero();
      publisher.push("alert/pool-same", same, same);
      proxy.resume();

      assertThat(client.nextTexts(2)).containsExactly(same, same);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> redis.client().llen("alert/pool-same") == 0);
      client.assertNoMoreEvents();
      client.closeAndWait();
    }
  }

  @Test
  void watchEntriesLostWithAPopsReplyAreMadeUpForWhenTheWatcherConnectsAgain() throws Exception {
    // The pop took the watch entry, and its reply was lost with the connection: the relay never
    // learns that the key has an alert. Its next look at every key (--recheck-interval, an hour
    // here) would find it; the watcher, connecting again, looks at once.
    try (ReplyLosingProxy proxy = new ReplyLosingProxy(redis.port());
        RelayServer relay = startThrough(proxy, b -> b.recheckInterval(Duration.ofHours(1)))) {
      RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-popped");
      // The watcher's wait, once it waits again, when it ends with an entry (a bulk string), not a
      // timeout (a null: "$-1" or "_").
      proxy.loseReplyToRequestWith(
          "BLMOVE", reply -> reply.length > 1 && reply[0] == '$' && reply[1] != '-');
      assertThat(proxy.awaitRequest(10)).isTrue();
      new TestPublisher(redis).push("alert/pool-popped", alert("popped", 1));
      assertThat(proxy.awaitCut(10)).isTrue();
      assertThat(redis.client().llen("watch")).as("the pop took the entry").isZero();
      proxy.resume();

      assertThat(client.nextText()).isEqualTo(alert("popped", 1));
      client.closeAndWait();
    }
  }
}
