package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/**
 * SPEC 3, no loss on relay faults: what a stopped relay had claimed but not written goes back to
 * the head of its list, in order, on start or when its key is identified.
 */
class ClaimRecoveryTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  /** Leaves Redis as a relay killed mid-batch would: two alerts claimed, one still queued. */
  private static void leaveAClaimBehind(String key) {
    redis.client().rpush("watch:claim:" + key, alert("claimed", 1), alert("claimed", 2));
    redis.client().sadd("watch:claims", key);
    redis.client().rpush(key, alert("queued", 3));
  }

  @Test
  void claimsLeftByAStoppedRelayGoBackToTheHeadOfTheirListOnStart() throws Exception {
    leaveAClaimBehind("alert/pool-away");
    try (RelayServer relay = startRelay(redis)) {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> !redis.client().exists("watch:claim:alert/pool-away"));
      assertThat(redis.client().lrange("alert/pool-away", 0, -1))
          .containsExactly(alert("claimed", 1), alert("claimed", 2), alert("queued", 3));
      assertThat(redis.client().smembers("watch:claims")).isEmpty();
    }
  }

  @Test
  void claimedAlertsAreDeliveredFirstWhenTheirKeyIsIdentified() throws Exception {
    try (RelayServer relay = startRelay(redis)) {
      // Claim left behind after this relay started (as by another relay that died).
      leaveAClaimBehind("alert/pool-1");
      RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-1");
      assertThat(client.nextTexts(3))
          .containsExactly(alert("claimed", 1), alert("claimed", 2), alert("queued", 3));
      new TestPublisher(redis).push("alert/pool-1", alert("live", 4));
      assertThat(client.nextText()).isEqualTo(alert("live", 4));
      client.closeAndWait();
    }
  }
}
