package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.metric;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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

  /**
   * A client that keeps taking a little (80 KB/s here) never trips the rule for a connection that
   * takes nothing; the batch's own budget (one write timeout per MiB) closes it long before it
   * would have read the batch (about 13 s).
   */
  @Test
  void aClientReadingTooSlowlyIsClosedByItsBatchBudget() throws Exception {
    TestPublisher publisher = new TestPublisher(redis);
    publisher.push(STUCK_KEY, bigAlerts().subList(0, 40)); // 1.2 MB: a full batch of 1 MiB
    try (RelayServer relay = startRelay(redis, b -> b.writeTimeout(Duration.ofSeconds(2)));
        StalledClient slow = StalledClient.identify(relay.port(), STUCK_KEY)) {
      long started = System.nanoTime();
      assertThat(slow.trickleUntilClosed(8 * 1024, Duration.ofMillis(100), Duration.ofSeconds(30)))
          .as("relay closed the slow reader")
          .isTrue();
      long seconds = (System.nanoTime() - started) / 1_000_000_000L;
      assertThat(seconds)
          .as("closed by the budget of its batch (2 x 2 s), with the close grace (2 s)")
          .isLessThan(10);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> metric(relay, "relay_refusals_total", "reason", "too_slow") == 1);
      System.out.printf("slow reader test: closed after %d s%n", seconds);
    }
  }

  /**
   * Stalled clients on many keys with backlogs together want far more than the relay lets itself
   * hold: what it holds unwritten never passes the 64-MiB cap, other keys wait for room instead of
   * reading, and once the stalled clients are closed the cap is all given back (nothing leaks) and
   * every alert is either written or still in its list.
   */
  @Test
  void stalledClientsOnManyKeysHoldNoMoreThanTheCapAndGiveItAllBack() throws Exception {
    int stalledKeys = 64; // each holds a batch of up to 2 MiB, less what its socket took
    int perKey = 40; // 1.2 MB each, more than one batch of --max-buffer-bytes (1 MiB)
    List<String> alerts = bigAlerts().subList(0, perKey);
    TestPublisher publisher = new TestPublisher(redis);
    List<StalledClient> stalled = new ArrayList<>();
    for (int k = 0; k < stalledKeys; k++) { // queued first: the clients' batches go out together
      publisher.push("alert/cap-" + k, alerts);
    }
    try (RelayServer relay = startRelay(redis, b -> b.writeTimeout(Duration.ofSeconds(5)))) {
      RecordingClient probe = connect(relay).identifyAndAwaitReply("alert/cap-probe");
      AtomicLong mostHeld = new AtomicLong();
      AtomicBoolean watching = new AtomicBoolean(true);
      Thread watcher =
          new Thread(
              () -> {
                while (watching.get()) {
                  mostHeld.accumulateAndGet(
                      (long) metric(relay, "relay_alerts_unwritten_bytes"), Math::max);
                  LockSupport.parkNanos(5_000_000); // sampling, not waiting for anything
                }
              });
      watcher.start();
      for (int k = 0; k < stalledKeys; k++) {
        stalled.add(StalledClient.identify(relay.port(), "alert/cap-" + k));
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> metric(relay, "relay_keys_waiting_for_room") >= 1);
      List<String> probeAlerts = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        probeAlerts.add(alert("probe", i));
      }
      publisher.push("alert/cap-probe", probeAlerts);

      // The stalled clients go after their write timeout (and close grace); then the probe's turn.
      await().atMost(Duration.ofSeconds(30)).until(() -> relay.connections() == 1);
      assertThat(probe.nextTexts(probeAlerts.size())).containsExactlyElementsOf(probeAlerts);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  metric(relay, "relay_alerts_unwritten_bytes") == 0
                      && metric(relay, "relay_keys_waiting_for_room") == 0);
      watching.set(false);
      watcher.join();

      assertThat(mostHeld.get())
          .as("bytes held unwritten at most")
          .isGreaterThan(32L << 20)
          .isLessThanOrEqualTo(
              (64L << 20) + (256L << 10)); // a round passes it by one entry at most
      long left = 0;
      for (int k = 0; k < stalledKeys; k++) {
        left += redis.client().llen("alert/cap-" + k);
      }
      long written = relay.delivered() - probeAlerts.size();
      assertThat(left + written)
          .as("every stalled key's alert is written or still queued")
          .isEqualTo((long) stalledKeys * perKey);
      System.out.printf(
          "cap test: %d stalled keys, at most %.1f MiB held unwritten, %d alerts written, %d left"
              + " queued%n",
          stalledKeys, mostHeld.get() / 1048576.0, written, left);
      probe.closeAndWait();
    } finally {
      for (StalledClient c : stalled) {
        c.close();
      }
    }
  }
}
