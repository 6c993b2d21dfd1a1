package org.redisalerts.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.testing.TestPublisher.alert;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/**
 * examples/browser/index.html with {@code ack=1} in headless Chromium (SPEC 9): an alert leaves
 * Redis once the page acknowledged it, not once the relay wrote it, and what the page showed but
 * did not acknowledge (held back with the page's {@code holdAcksAfter=N} testing aid) stays in
 * Redis and is shown again, in order, by the next page load; the acknowledged ones are not.
 */
class BrowserAckIT {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final String KEY = "alert/web-9";
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** Long enough that the relay never closes a page for holding its acks during a test. */
  private static final Duration ACK_TIMEOUT = Duration.ofMinutes(2);

  private RelayServer relay;
  private ExamplePage page;
  private final RelayEvents events = new RelayEvents();

  @BeforeEach
  void start() throws Exception {
    HeadlessChromium.assumeInstalled("BrowserAckIT");
    relay =
        new RelayServer(
                RelayConfig.builder(redis.endpoint())
                    .bind("127.0.0.1")
                    .port(0)
                    .ackTimeout(ACK_TIMEOUT)
                    .build(),
                events)
            .start();
    page = new ExamplePage();
  }

  @AfterEach
  void stop() {
    if (page != null) {
      page.close();
    }
    if (relay != null) {
      relay.close();
    }
  }

  /** Waits until the page's acknowledgement line reads {@code acks}. */
  private void awaitAcks(String acks) {
    page.awaitText("acks", acks, () -> "relay refusals: " + events.refusals);
  }

  private void open(String parameters) {
    page.open("relay=ws://127.0.0.1:" + relay.port() + "/app&key=" + KEY + "&" + parameters);
  }

  private long queued() {
    return redis.client().llen(KEY);
  }

  private static List<String> numbered(String prefix, int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(i -> prefix + " " + i).toList();
  }

  private static List<String> alerts(List<String> messages) {
    return IntStream.range(0, messages.size())
        .mapToObj(i -> alert(messages.get(i), i + 1))
        .toList();
  }

  @Test
  void pageAcknowledgesALongBacklogWithinTheRelaysMessageBudgetAndOnlyThenItLeavesRedis() {
    // Several windows of 100, and more alerts than the relay lets a client send messages at once
    // (60): acknowledging them one by one would get the page closed for "too many messages".
    List<String> sent = numbered("backlog", 1, 250);
    new TestPublisher(redis).push(KEY, alerts(sent));

    open("ack=1");
    awaitAcks("acknowledged 250 of 250");
    assertThat(page.messages()).as("every alert once, in order").containsExactlyElementsOf(sent);
    await("the acknowledged alerts leave Redis").atMost(WAIT).until(() -> queued() == 0);
    assertThat(page.text("state")).isEqualTo("connected");
    assertThat(events.refusals).as("refusals").isEmpty();
    assertThat(events.identified).as("identifies: the page never reconnected").hasValue(1);
    System.out.println(
        "BrowserAckIT: 250 queued alerts shown and acknowledged on one connection, none twice");
  }

  @Test
  void alertsShownButNotAcknowledgedStayInRedisAndTheNextPageLoadShowsExactlyThoseInOrder() {
    List<String> sent = numbered("alert", 1, 5);
    new TestPublisher(redis).push(KEY, alerts(sent));

    // The page shows all five and acknowledges two, as if its network died after the second.
    open("holdAcksAfter=2");
    page.awaitState("connected");
    awaitAcks("acknowledged 2 of 5 (holding acks after 2)");
    assertThat(page.messages()).containsExactlyElementsOf(sent);
    // A plain page's alerts would be gone once written; these wait for the page's acks.
    await("the relay keeps what waits for acknowledgement")
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(5))
        .until(() -> queued() == 5);

    // Loading the page again closes the first connection: what it acknowledged is delivered,
    // the rest goes back to the head of the key, and the new connection receives it.
    open("ack=1");
    awaitAcks("acknowledged 3 of 3");
    assertThat(page.messages())
        .as("exactly the alerts not acknowledged before, in order")
        .containsExactlyElementsOf(sent.subList(2, 5));
    await("the acknowledged alerts leave Redis").atMost(WAIT).until(() -> queued() == 0);
    assertThat(events.identified).as("identifies").hasValue(2);
    assertThat(events.refusals).as("refusals").isEmpty();
    System.out.println(
        "BrowserAckIT: 5 alerts shown, 2 acknowledged; the reloaded page showed the other 3");
  }

  @Test
  void aPageClosedForHoldingItsAcksReconnectsAndIsSentTheRestAgain() throws Exception {
    relay.close(); // this test's relay closes a page that holds its acks for a second
    relay =
        new RelayServer(
                RelayConfig.builder(redis.endpoint())
                    .bind("127.0.0.1")
                    .port(0)
                    .ackTimeout(Duration.ofSeconds(1))
                    .build(),
                events)
            .start();
    List<String> sent = numbered("slow", 1, 5);
    new TestPublisher(redis).push(KEY, alerts(sent));

    // Each connection acknowledges its first two alerts and holds the rest: the relay closes it
    // (1008, alerts not acknowledged), the page reconnects by itself and is sent the rest again.
    open("holdAcksAfter=2");
    await("every alert acknowledged, over three connections")
        .atMost(WAIT)
        .until(() -> queued() == 0);
    assertThat(page.messages())
        .as("1-5, then 3-5 again, then 5 again: what was not acknowledged, in order")
        .containsExactlyElementsOf(
            List.of(
                "slow 1", "slow 2", "slow 3", "slow 4", "slow 5", "slow 3", "slow 4", "slow 5",
                "slow 5"));
    assertThat(events.identified).as("identifies: the page reconnected twice").hasValue(3);
    assertThat(events.refusals).as("refusals").hasSize(2);
  }

  @Test
  void aPageThatAcknowledgesNothingLeavesEveryAlertQueuedForTheNextConnection() {
    List<String> sent = numbered("held", 1, 3);
    new TestPublisher(redis).push(KEY, alerts(sent));

    open("holdAcksAfter=0");
    page.awaitState("connected");
    awaitAcks("acknowledged 0 of 3 (holding acks after 0)");
    assertThat(page.messages()).containsExactlyElementsOf(sent);

    // Navigating away closes the connection; nothing was acknowledged, so nothing is lost.
    page.browser.get("about:blank");
    await("the page's connection closed").atMost(WAIT).until(() -> events.closed.get() == 1);
    await("every alert still queued")
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(5))
        .until(() -> queued() == 3);

    open("ack=1");
    awaitAcks("acknowledged 3 of 3");
    assertThat(page.messages()).as("shown again, in order").containsExactlyElementsOf(sent);
    await("the acknowledged alerts leave Redis").atMost(WAIT).until(() -> queued() == 0);
    assertThat(events.refusals).as("refusals").isEmpty();
  }
}
