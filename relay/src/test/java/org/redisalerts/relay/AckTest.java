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
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/** Client acknowledgements (SPEC 9): an alert leaves Redis once a connection confirmed it. */
class AckTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private RelayServer relay;
  private final TestPublisher publisher = new TestPublisher(redis);

  @AfterEach
  void stop() {
    if (relay != null) {
      relay.close();
    }
  }

  private void start(UnaryOperator<RelayConfig.Builder> settings) throws Exception {
    relay = startRelay(redis, settings);
  }

  private static List<String> alerts(String name, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(alert(name, i));
    }
    return out;
  }

  private long queued(String key) {
    return redis.client().llen(key);
  }

  @Test
  void theReplyToAnIdentifyWithAcksSaysSoAndAPlainReplyIsUnchanged() throws Exception {
    start(b -> b);
    RecordingClient plain = connect(relay).identify("alert/a-plain");
    assertThat(plain.nextText())
        .isEqualTo(
            "{\"event\":\"identified\",\"message\":\"you are now connected\",\"queue\":\"alert/a-plain\"}");
    RecordingClient acking = connect(relay);
    acking.send("{\"event\":\"identify\",\"queue\":\"alert/a-ack\",\"ack\":true}");
    assertThat(acking.nextText())
        .isEqualTo(
            "{\"event\":\"identified\",\"message\":\"you are now connected\",\"queue\":\"alert/a-ack\",\"ack\":true}");
  }

  @Test
  void whatWasReceivedButNotAcknowledgedGoesToTheNextConnectionInOrder() throws Exception {
    start(b -> b);
    String key = "alert/a-partial";
    RecordingClient first = connect(relay).identifyWithAcksAndAwaitReply(key);
    List<String> sent = alerts("p", 0, 10);
    publisher.push(key, sent);
    assertThat(first.nextTexts(10)).containsExactlyElementsOf(sent);
    first.ack(4);
    first.closeAndWait();
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 6);

    RecordingClient next = connect(relay).identifyAndAwaitReply(key);
    assertThat(next.nextTexts(6)).containsExactlyElementsOf(sent.subList(4, 10));
    next.assertNoMoreEvents();
    assertThat(metric(relay, "relay_alerts_unacknowledged_total")).isEqualTo(6);
    assertThat(metric(relay, "relay_acks_received_total")).isEqualTo(1);
  }

  @Test
  void noMoreThanTheWindowIsOutstandingAndMoreGoesOnceAcksFreeHalfOfIt() throws Exception {
    start(b -> b.ackWindow(5));
    String key = "alert/a-window";
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    List<String> sent = alerts("w", 0, 12);
    publisher.push(key, sent);
    assertThat(client.nextTexts(5)).containsExactlyElementsOf(sent.subList(0, 5));
    client.assertNoMoreEvents();
    assertThat(metric(relay, "relay_alerts_awaiting_ack")).isEqualTo(5);
    client.ack(2);
    client.assertNoMoreEvents(); // 3 of 5 still out: more than half the window
    client.ack(3);
    assertThat(client.nextTexts(3)).containsExactlyElementsOf(sent.subList(5, 8));
    client.assertNoMoreEvents(); // the window is full again
    client.ack(8);
    assertThat(client.nextTexts(4)).containsExactlyElementsOf(sent.subList(8, 12));
    client.ack(12);
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
    assertThat(metric(relay, "relay_alerts_awaiting_ack")).isZero();
  }

  @Test
  void aClientThatAcknowledgesInGroupsGetsEveryAlertOnceAndInOrder() throws Exception {
    // SPEC 9: acks may be sent for a group. A client that acknowledges every 4th alert waits for
    // the 4th before it acknowledges the 3 before it; the relay must send on while the window has
    // room, or the key stalls until the ack timeout closes the client.
    start(b -> b.ackWindow(10).ackTimeout(Duration.ofSeconds(30)));
    String key = "alert/a-groups";
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    List<String> first = alerts("g", 0, 10);
    publisher.push(key, first);
    assertThat(client.nextTexts(10)).containsExactlyElementsOf(first);
    client.ack(4).ack(8);
    List<String> second = alerts("g", 10, 50);
    publisher.push(key, second);
    int received = 10;
    long acked = 8;
    while (received < 50) {
      String text = client.nextText();
      assertThat(text).as("alert %d", received).isEqualTo(alert("g", received));
      received++;
      assertThat(received - acked).as("alerts out after %d", received).isLessThanOrEqualTo(10);
      if (received % 4 == 0) {
        client.ack(received);
        acked = received;
      }
    }
    client.assertNoMoreEvents();
    // The last 2 wait for their ack (with the rest of their batch, trimmed once it is settled).
    assertThat(queued(key)).isBetween(2L, 10L);
    client.ack(50);
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
    assertThat(metric(relay, "relay_refusals_total", "reason", "ack_timeout")).isZero();
  }

  @Test
  void whatSeveralBatchesOutWereNotAcknowledgedGoesBackInOrder() throws Exception {
    start(b -> b.ackWindow(10));
    String key = "alert/a-several";
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    List<String> sent = alerts("s", 0, 9);
    publisher.push(key, sent.subList(0, 3));
    assertThat(client.nextTexts(3)).containsExactlyElementsOf(sent.subList(0, 3));
    publisher.push(key, sent.subList(3, 6));
    assertThat(client.nextTexts(3)).containsExactlyElementsOf(sent.subList(3, 6));
    publisher.push(key, sent.subList(6, 9));
    assertThat(client.nextTexts(3)).containsExactlyElementsOf(sent.subList(6, 9));
    client.ack(4); // into the second batch
    client.closeAndWait();
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 5);

    RecordingClient next = connect(relay).identifyAndAwaitReply(key);
    assertThat(next.nextTexts(5)).containsExactlyElementsOf(sent.subList(4, 9));
    next.assertNoMoreEvents();
  }

  @Test
  void aConnectionThatJoinsWhileAlertsAwaitAcksReceivesTheKeyInOrder() throws Exception {
    // The acknowledging tab holds 3 alerts it has not acknowledged (it acknowledges in groups of
    // 4); a plain tab joins, and 3 more come. The new tab gets the 3 first (they are not
    // delivered yet), then the rest; the acknowledging tab gets the rest, and is not held up.
    start(b -> b.ackTimeout(Duration.ofSeconds(30)));
    String key = "alert/a-join";
    RecordingClient acking = connect(relay).identifyWithAcksAndAwaitReply(key);
    List<String> sent = alerts("j", 0, 6);
    publisher.push(key, sent.subList(0, 3));
    assertThat(acking.nextTexts(3)).containsExactlyElementsOf(sent.subList(0, 3));
    RecordingClient joined = connect(relay).identifyAndAwaitReply(key);
    publisher.push(key, sent.subList(3, 6));
    assertThat(joined.nextTexts(6)).containsExactlyElementsOf(sent);
    assertThat(acking.nextTexts(3)).containsExactlyElementsOf(sent.subList(3, 6));
    acking.closeAndWait(); // without acknowledging: the plain tab had them all written
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
    joined.assertNoMoreEvents();
  }

  @Test
  void aTabThatJoinsDoesNotHoldUpATabThatAcknowledgesInGroups() throws Exception {
    // An outside probe: the first tab acknowledges every 4th alert and holds 2; a second joins.
    // Nothing new went out until the first was closed at the ack timeout.
    start(b -> b.ackWindow(10).ackTimeout(Duration.ofSeconds(30)));
    String key = "alert/a-join-groups";
    RecordingClient grouped = connect(relay).identifyWithAcksAndAwaitReply(key);
    publisher.push(key, alerts("q", 0, 10));
    assertThat(grouped.nextTexts(10)).containsExactlyElementsOf(alerts("q", 0, 10));
    grouped.ack(4).ack(8);
    RecordingClient joined = connect(relay).identifyWithAcksAndAwaitReply(key);
    publisher.push(key, alerts("q", 10, 40));
    // The newcomer gets what was not acknowledged when it joined (8 and 9), then the rest; it
    // acknowledges each (a full window of it would hold the key, as SPEC 9 says).
    for (int received = 10; received < 40; received++) {
      assertThat(grouped.nextText()).isEqualTo(alert("q", received));
      if ((received + 1) % 4 == 0) {
        grouped.ack(received + 1);
      }
      assertThat(joined.nextText()).isEqualTo(alert("q", received - 2));
      joined.ack(received - 9);
    }
    grouped.ack(40);
    assertThat(joined.nextTexts(2)).containsExactlyElementsOf(alerts("q", 38, 40));
    joined.ack(32);
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
    assertThat(metric(relay, "relay_refusals_total", "reason", "ack_timeout")).isZero();
  }

  @Test
  void anAcknowledgingConnectionThatJoinsIsCaughtUpWithinItsWindow() throws Exception {
    start(b -> b.ackWindow(4).ackTimeout(Duration.ofSeconds(30)));
    String key = "alert/a-join-ack";
    RecordingClient first = connect(relay).identifyWithAcksAndAwaitReply(key);
    List<String> sent = alerts("k", 0, 8);
    publisher.push(key, sent.subList(0, 3));
    assertThat(first.nextTexts(3)).containsExactlyElementsOf(sent.subList(0, 3));
    RecordingClient second = connect(relay).identifyWithAcksAndAwaitReply(key);
    publisher.push(key, sent.subList(3, 8));
    // Both windows (4) bound what goes: the newcomer's 3 of catch-up count in it.
    assertThat(second.nextTexts(4)).containsExactlyElementsOf(sent.subList(0, 4));
    assertThat(first.nextTexts(1)).containsExactlyElementsOf(sent.subList(3, 4));
    second.assertNoMoreEvents();
    first.ack(4);
    second.ack(4);
    assertThat(second.nextTexts(4)).containsExactlyElementsOf(sent.subList(4, 8));
    assertThat(first.nextTexts(4)).containsExactlyElementsOf(sent.subList(4, 8));
    first.ack(8);
    second.ack(8);
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
  }

  @Test
  void aClientThatStopsAcknowledgingIsClosedAtTheAckTimeoutAndItsAlertsStayQueued()
      throws Exception {
    start(b -> b.ackTimeout(Duration.ofMillis(800)));
    String key = "alert/a-timeout";
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    publisher.push(key, alerts("t", 0, 3));
    client.nextTexts(3);
    client.ack(1);
    assertThat(client.nextText()).contains("\"event\":\"error\"").contains("not acknowledged");
    RecordingClient.Closed closed = client.nextClose();
    assertThat(closed.code()).isEqualTo(1008);
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 2);
    assertThat(metric(relay, "relay_refusals_total", "reason", "ack_timeout")).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"event\":\"ack\",\"count\":4}",
        "{\"event\":\"ack\",\"count\":-1}",
        "{\"event\":\"ack\",\"count\":1.5}",
        "{\"event\":\"ack\",\"count\":\"2\"}",
        "{\"event\":\"ack\"}"
      })
  void aBadAckClosesTheConnectionWithAReasonAndNothingIsLost(String ack) throws Exception {
    start(b -> b);
    String key = "alert/a-bad";
    redis.client().del(key);
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    publisher.push(key, alerts("b", 0, 3));
    client.nextTexts(3);
    client.send(ack);
    assertThat(client.nextText()).contains("\"event\":\"error\"");
    assertThat(client.nextClose().code()).isEqualTo(1008);
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 3);
  }

  @Test
  void anAckCountThatGoesDownClosesTheConnection() throws Exception {
    start(b -> b);
    String key = "alert/a-down";
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    publisher.push(key, alerts("d", 0, 3));
    client.nextTexts(3);
    client.ack(2).ack(1);
    assertThat(client.nextText()).contains("below the 2 acknowledged before");
    assertThat(client.nextClose().code()).isEqualTo(1008);
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 1);
  }

  @Test
  void aClientMayAckEveryAlertOfALongBacklogWithoutRunningOutOfMessages() throws Exception {
    start(b -> b); // the default budget: far fewer messages than alerts
    String key = "alert/a-each";
    List<String> sent = alerts("e", 0, 500);
    publisher.push(key, sent);
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    for (int i = 0; i < sent.size(); i++) {
      assertThat(client.nextText()).isEqualTo(sent.get(i));
      client.ack(i + 1);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
    client.assertNoMoreEvents();
    assertThat(metric(relay, "relay_refusals_total", "reason", "too_many_messages")).isZero();
  }

  @Test
  void acksThatConfirmNothingNewCostMessagesLikeAnyOther() throws Exception {
    start(b -> b);
    String key = "alert/a-repeat";
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    publisher.push(key, alert("r", 0));
    assertThat(client.nextText()).isEqualTo(alert("r", 0));
    for (int i = 0; i < 200; i++) {
      client.send("{\"event\":\"ack\",\"count\":1}");
    }
    assertThat(client.nextText()).contains("too many messages");
    assertThat(client.nextClose().code()).isEqualTo(1008);
  }

  @Test
  void anAckOnAPlainConnectionIsIgnored() throws Exception {
    start(b -> b);
    String key = "alert/a-ignored";
    RecordingClient client = connect(relay).identifyAndAwaitReply(key);
    client.ack(99);
    publisher.push(key, alert("i", 0));
    assertThat(client.nextText()).isEqualTo(alert("i", 0));
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
  }

  @Test
  void anAlertIsDeliveredOnceAnyConnectionDeliveredItInItsOwnMode() throws Exception {
    start(b -> b);
    String key = "alert/a-mixed";
    RecordingClient plain = connect(relay).identifyAndAwaitReply(key);
    RecordingClient acking = connect(relay).identifyWithAcksAndAwaitReply(key);
    List<String> sent = alerts("m", 0, 8);
    publisher.push(key, sent);
    assertThat(plain.nextTexts(8)).containsExactlyElementsOf(sent);
    assertThat(acking.nextTexts(8)).containsExactlyElementsOf(sent);
    acking.ack(3);
    acking.closeAndWait();
    // The plain tab had them all written: none is delivered again.
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
    plain.assertNoMoreEvents();

    // With only acknowledging tabs, what none acknowledged stays.
    plain.closeAndWait();
    RecordingClient one = connect(relay).identifyWithAcksAndAwaitReply(key);
    RecordingClient two = connect(relay).identifyWithAcksAndAwaitReply(key);
    List<String> more = alerts("m", 8, 14);
    publisher.push(key, more);
    one.nextTexts(6);
    two.nextTexts(6);
    one.ack(2);
    two.ack(4);
    one.closeAndWait();
    two.closeAndWait();
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 2);
    RecordingClient last = connect(relay).identifyAndAwaitReply(key);
    assertThat(last.nextTexts(2)).containsExactlyElementsOf(more.subList(4, 6));
  }

  @Test
  void identifyingAgainStartsTheCountOverAndResendsWhatWasNotAcknowledged() throws Exception {
    start(b -> b);
    String key = "alert/a-again";
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    List<String> sent = alerts("r", 0, 5);
    publisher.push(key, sent);
    assertThat(client.nextTexts(5)).containsExactlyElementsOf(sent);
    client.ack(2);
    client.identifyWithAcksAndAwaitReply(key);
    assertThat(client.nextTexts(3)).containsExactlyElementsOf(sent.subList(2, 5));
    client.ack(3); // counted from the new reply
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
    client.assertNoMoreEvents();
  }

  @Test
  void identifyingAgainWhileBatchesAreOutResendsWhatWasNotAcknowledgedBeforeAnythingNewer()
      throws Exception {
    // The review's case: a batch read past the one out, on its way to the old identify's counts,
    // must not reach the new one before what the old one left unacknowledged.
    start(b -> b.ackTimeout(Duration.ofSeconds(30)));
    String key = "alert/a-again-out";
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    List<String> sent = alerts("o", 0, 30);
    publisher.push(key, sent.subList(0, 3));
    assertThat(client.nextTexts(3)).containsExactlyElementsOf(sent.subList(0, 3));
    client.ack(1);
    for (int i = 3; i < 30; i += 3) {
      publisher.push(key, sent.subList(i, i + 3)); // read past the first batch, or with it
    }
    client.send("{\"event\":\"identify\",\"queue\":\"" + key + "\",\"ack\":true}");
    assertThat(
            client.skipTo(
                "{\"event\":\"identified\",\"message\":\"you are now connected\",\"queue\":\""
                    + key
                    + "\",\"ack\":true}",
                Duration.ofSeconds(10)))
        .isTrue();
    assertThat(client.nextTexts(29)).containsExactlyElementsOf(sent.subList(1, 30));
    client.ack(29);
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
    client.assertNoMoreEvents();
  }

  @Test
  void aClientThatReconnectsAtOnceGetsWhatItDidNotAcknowledgeOnceOnly() throws Exception {
    // A browser reload: the last connection of the key closes with an alert not acknowledged, and
    // the next identifies at once, while the relay gives back the lease of the key it just lost
    // all connections of. Given back after the new connection's first step, the lease was gone
    // from under that step's batch: fenced, it read the batch again and sent it twice. The race is
    // narrow (an outside test saw it in 3 to 5 of 100 reconnects): 300 rounds meet it.
    start(b -> b);
    String key = "alert/a-reload";
    RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
    publisher.push(key, List.of(alert("reload", 0)));
    for (int i = 0; i < 300; i++) {
      assertThat(client.nextText())
          .as("alert %d, new on this connection", i)
          .isEqualTo(alert("reload", i));
      client.close(); // not acknowledged; no wait
      client = connect(relay).identifyWithAcksAndAwaitReply(key);
      assertThat(client.nextText()).as("alert %d again, once", i).isEqualTo(alert("reload", i));
      client.ack(1);
      publisher.push(key, List.of(alert("reload", i + 1)));
    }
    assertThat(client.nextText()).isEqualTo(alert("reload", 300));
    client.ack(2);
    await().atMost(Duration.ofSeconds(5)).until(() -> queued(key) == 0);
    assertThat(metric(relay, "relay_steps_fenced_total"))
        .as("steps fenced on a lone relay")
        .isZero();
  }
}
