package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.StalledClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/** A client that stops reading holds up nobody else for long, and costs no alert. */
class SlowClientTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final String STUCK_KEY = "alert/pool-stuck";

  /** About 12 MB: more than the kernel buffers of a loopback connection hold. */
  private static final int BIG_ALERTS = 400;

  private static List<String> bigAlerts() {
    String padding = "x".repeat(30_000);
    List<String> alerts = new ArrayList<>();
    for (int i = 0; i < BIG_ALERTS; i++) {
      alerts.add("{\"event\":\"alert\",\"seq\":" + i + ",\"pad\":\"" + padding + "\"}");
    }
    return alerts;
  }

  @Test
  void aStalledClientDelaysNoOtherKey() throws Exception {
    TestPublisher publisher = new TestPublisher(redis);
    try (RelayServer relay = startRelay(redis, b -> b.writeTimeout(Duration.ofMinutes(5)));
        StalledClient stuck = StalledClient.identify(relay.port(), STUCK_KEY)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.connections() == 1);
      RecordingClient other = connect(relay).identifyAndAwaitReply("alert/pool-other");
      publisher.push(STUCK_KEY, bigAlerts());

      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        expected.add(alert("other", i));
      }
      publisher.push("alert/pool-other", expected);
      assertThat(other.nextTexts(200)).containsExactlyElementsOf(expected);
      assertThat(redis.client().llen(STUCK_KEY)).as("the stuck key is still stuck").isPositive();
      other.closeAndWait();
    }
  }

  @Test
  void aStalledTabIsClosedAfterTheWriteTimeoutAndItsSiblingGetsEverything() throws Exception {
    TestPublisher publisher = new TestPublisher(redis);
    try (RelayServer relay = startRelay(redis, b -> b.writeTimeout(Duration.ofMillis(1500)));
        StalledClient stuck = StalledClient.identify(relay.port(), STUCK_KEY)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.connections() == 1);
      RecordingClient sibling = connect(relay).identifyAndAwaitReply(STUCK_KEY);
      List<String> alerts = bigAlerts();
      publisher.push(STUCK_KEY, alerts);

      List<String> received = sibling.nextTexts(BIG_ALERTS);
      assertThat(received).containsExactlyElementsOf(alerts);
      assertThat(stuck.drainUntilClosed(Duration.ofSeconds(20)))
          .as("relay closed the stalled client")
          .isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.connections() == 1);
      assertThat(redis.client().llen(STUCK_KEY)).isZero();
      System.out.printf(
          "slow client test: %d alerts of 30 KB sent, %d received by the sibling%n",
          BIG_ALERTS, received.size());
      sibling.closeAndWait();
    }
  }

  @Test
  void whatAStalledClientDidNotGetStaysQueuedForItsNextConnection() throws Exception {
    TestPublisher publisher = new TestPublisher(redis);
    List<String> alerts = bigAlerts();
    try (RelayServer relay = startRelay(redis, b -> b.writeTimeout(Duration.ofMillis(1500)));
        StalledClient stuck = StalledClient.identify(relay.port(), STUCK_KEY)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.connections() == 1);
      publisher.push(STUCK_KEY, alerts);
      // Reading now would unblock it: wait for the relay to give up on it first.
      // What it was sent and took is trimmed; the rest stays at the head of the list.
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  relay.connections() == 0
                      && redis.client().llen(STUCK_KEY) == BIG_ALERTS - relay.delivered());
      assertThat(stuck.drainUntilClosed(Duration.ofSeconds(5)))
          .as("relay closed the stalled client")
          .isTrue();
      long left = redis.client().llen(STUCK_KEY);
      assertThat(left).as("alerts left for the next connection").isPositive();

      RecordingClient next = connect(relay).identifyAndAwaitReply(STUCK_KEY);
      List<String> received = next.nextTexts((int) left);
      assertThat(received)
          .containsExactlyElementsOf(alerts.subList(BIG_ALERTS - (int) left, BIG_ALERTS));
      System.out.printf(
          "stalled-then-reconnect test: %d alerts, %d left queued after the stall, all received%n",
          BIG_ALERTS, left);
      next.closeAndWait();
    }
  }
}
