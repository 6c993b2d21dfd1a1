package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/** SPEC 2 and 3: what arrives, in which order, to whom; against a real Redis and real sockets. */
class DeliveryTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private final List<RecordingClient> clients = new ArrayList<>();
  private RelayServer relay;
  private TestPublisher publisher;

  @BeforeEach
  void start() throws Exception {
    relay = startRelay(redis);
    publisher = new TestPublisher(redis);
  }

  @AfterEach
  void stop() throws Exception {
    for (RecordingClient client : clients) {
      client.assertNoMoreEvents();
      client.closeAndWait();
    }
    relay.close();
  }

  private RecordingClient client(String key) {
    RecordingClient client = connect(relay).identifyAndAwaitReply(key);
    clients.add(client);
    return client;
  }

  @Test
  void identifyIsAnsweredWithYouAreNowConnected() throws Exception {
    RecordingClient client = connect(relay);
    clients.add(client);
    client.identify("alert/pool-1");
    var reply = new JsonCodec().readTree(client.nextText());
    assertThat(reply.get("message").asText()).isEqualTo("you are now connected");
    assertThat(reply.get("queue").asText()).isEqualTo("alert/pool-1");
  }

  @Test
  void alertIsForwardedAsTheExactBytesPublished() {
    RecordingClient client = client("alert/pool-1");
    String published =
        "{ \"recordedOn\":\"2026-11-26T10:00:00Z\" ,\"event\":\"alert\",  \"message\":\"Disk full \u00e9\u6f22\ud83d\ude80\","
            + "\"big\":12345678901234567890123,\"f\":1.50e3,\"nested\":{\"z\":1,\"a\":[true,null]}}";
    publisher.push("alert/pool-1", published);
    assertThat(client.nextText()).isEqualTo(published);
  }

  @Test
  void everyJsonObjectABrowserReadsIsForwardedWhateverJacksonsOwnLimits() {
    // SPEC 3: only an entry that is not a JSON object (or whose event is not forwarded) is a dead
    // letter. A browser's JSON.parse reads these; Jackson's defaults refuse each (an outside probe
    // found them dead-lettered as "not valid JSON").
    RecordingClient client = client("alert/pool-1");
    List<String> odd =
        List.of(
            "{\"event\":\"alert\",\"a\":1,\"a\":2}",
            "{\"event\":\"alert\",\"n\":" + "7".repeat(1500) + "}",
            "{\"event\":\"alert\",\"n\":0." + "3".repeat(1500) + "}",
            "{\"event\":\"alert\",\"deep\":" + "[".repeat(1500) + "]".repeat(1500) + "}",
            "{\"event\":\"alert\",\"" + "k".repeat(60_000) + "\":1}",
            "{\"event\":\"other\",\"event\":\"alert\"}");
    publisher.push("alert/pool-1", odd.toArray(String[]::new));
    assertThat(client.nextTexts(odd.size())).containsExactlyElementsOf(odd);
    assertThat(redis.client().llen("watch:dead")).isZero();
  }

  @Test
  void backlogIsDeliveredOnIdentifyBeforeLiveAlerts() {
    publisher.push("alert/pool-1", alert("queued", 1), alert("queued", 2), alert("queued", 3));
    RecordingClient client = client("alert/pool-1");
    assertThat(client.nextTexts(3))
        .containsExactly(alert("queued", 1), alert("queued", 2), alert("queued", 3));
    publisher.push("alert/pool-1", alert("live", 4));
    assertThat(client.nextText()).isEqualTo(alert("live", 4));
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.client().llen("alert/pool-1") == 0);
  }

  @Test
  void orderPerKeyHoldsWithKeysInterleaved() {
    RecordingClient a = client("alert/pool-a");
    RecordingClient b = client("alert/pool-b");
    List<String> expectedA = new ArrayList<>();
    List<String> expectedB = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      String ea = alert("a", i);
      String eb = alert("b", i);
      expectedA.add(ea);
      expectedB.add(eb);
      publisher.push("alert/pool-a", ea);
      publisher.push("alert/pool-b", eb);
    }
    assertThat(a.nextTexts(2000)).containsExactlyElementsOf(expectedA);
    assertThat(b.nextTexts(2000)).containsExactlyElementsOf(expectedB);
  }

  @Test
  void everyConnectionOfAKeyReceivesEveryAlert() {
    publisher.push("alert/pool-1", alert("before", 0));
    RecordingClient first = client("alert/pool-1");
    assertThat(first.nextText()).isEqualTo(alert("before", 0));
    RecordingClient second = client("alert/pool-1");
    RecordingClient third = client("alert/pool-1");
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= 300; i++) {
      expected.add(alert("tab", i));
    }
    publisher.push("alert/pool-1", expected);
    assertThat(first.nextTexts(300)).containsExactlyElementsOf(expected);
    assertThat(second.nextTexts(300)).containsExactlyElementsOf(expected);
    assertThat(third.nextTexts(300)).containsExactlyElementsOf(expected);
  }

  @Test
  void identifyingAgainWithAnotherKeyLeavesTheOldOne() {
    publisher.push("alert/pool-b", alert("b-backlog", 1));
    RecordingClient client = client("alert/pool-a");
    publisher.push("alert/pool-a", alert("a", 1));
    assertThat(client.nextText()).isEqualTo(alert("a", 1));

    client.identify("alert/pool-b");
    assertThat(client.nextText()).contains("you are now connected").contains("alert/pool-b");
    assertThat(client.nextText()).isEqualTo(alert("b-backlog", 1));

    publisher.push("alert/pool-a", alert("a", 2));
    publisher.push("alert/pool-b", alert("b", 2));
    assertThat(client.nextText()).isEqualTo(alert("b", 2));
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.client().llen("watch") == 0);
    assertThat(redis.client().lrange("alert/pool-a", 0, -1)).containsExactly(alert("a", 2));
  }

  @Test
  void identifyingAgainWithTheSameKeyChangesNothing() {
    RecordingClient client = client("alert/pool-1");
    client.identify("alert/pool-1");
    publisher.push("alert/pool-1", alert("once", 1));
    // The next frame is the alert: no second reply, no duplicate.
    assertThat(client.nextText()).isEqualTo(alert("once", 1));
    assertThat(relay.connections()).isEqualTo(1);
  }

  @Test
  void alertsForAbsentKeysStayQueuedUntilTheirClientComes() {
    publisher.push("alert/pool-away", alert("waiting", 1), alert("waiting", 2));
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.client().llen("watch") == 0);
    assertThat(redis.client().llen("alert/pool-away")).isEqualTo(2);

    RecordingClient client = client("alert/pool-away");
    assertThat(client.nextTexts(2)).containsExactly(alert("waiting", 1), alert("waiting", 2));
  }

  @Test
  void alertsStayQueuedAfterTheirLastClientLeaves() {
    RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-1");
    client.closeAndWait();
    await().atMost(Duration.ofSeconds(5)).until(() -> relay.connections() == 0);
    publisher.push("alert/pool-1", alert("later", 1));
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.client().llen("watch") == 0);
    assertThat(redis.client().lrange("alert/pool-1", 0, -1)).containsExactly(alert("later", 1));
  }

  @Test
  void largeBacklogArrivesCompleteAndInOrder() {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      expected.add(alert("backlog", i));
    }
    publisher.push("alert/pool-1", expected);
    RecordingClient client = client("alert/pool-1");
    assertThat(client.nextTexts(5000)).containsExactlyElementsOf(expected);
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.client().llen("alert/pool-1") == 0);
  }

  @Test
  void noAlertOfTheOldKeyFollowsTheReplyToARenewedIdentify() throws Exception {
    List<String> backlog = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      backlog.add(alert("old", i));
    }
    publisher.push("alert/pool-old", backlog);
    RecordingClient client = connect(relay);
    clients.add(client);
    client.identifyAndAwaitReply("alert/pool-old");
    client.nextTexts(100);
    client.identify("alert/pool-new");
    int oldBeforeReply = 100;
    String frame;
    while (!(frame = client.nextText()).contains("you are now connected")) {
      assertThat(frame).contains("\"old\"");
      oldBeforeReply++;
    }
    publisher.push("alert/pool-new", alert("new", 0));
    assertThat(client.nextText()).as("the first frame after the reply").isEqualTo(alert("new", 0));
    int received = oldBeforeReply;
    // Everything the client got is trimmed from the old list, and only that.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> redis.client().llen("alert/pool-old") == 20_000 - received);
    long left = redis.client().llen("alert/pool-old");
    assertThat(oldBeforeReply + left)
        .as("every old alert was either received or is still queued")
        .isEqualTo(20_000);
    assertThat(redis.client().lindex("alert/pool-old", 0)).isEqualTo(alert("old", oldBeforeReply));
  }

  @Test
  void aBatchTrimmedWithTheKeysNextStepIsNotSentAgain() throws Exception {
    // With a settle delay longer than the test, a written batch stays at the head of its list
    // until the key's next step trims it. Alerts go in without watch entries (each client's
    // identify starts the only step), and the shared relay stops first, so nothing else runs.
    relay.close();
    try (RelayServer patient = startRelay(redis, b -> b.settleDelay(Duration.ofMinutes(10)))) {
      redis.client().rpush("alert/pool-2", alert("once", 1));
      RecordingClient first = connect(patient).identifyAndAwaitReply("alert/pool-2");
      assertThat(first.nextText()).isEqualTo(alert("once", 1));
      assertThat(redis.client().lrange("alert/pool-2", 0, -1))
          .as("written, not yet trimmed")
          .containsExactly(alert("once", 1));
      first.closeAndWait();

      redis.client().rpush("alert/pool-2", alert("once", 2));
      RecordingClient next = connect(patient).identifyAndAwaitReply("alert/pool-2");
      assertThat(next.nextText())
          .as("the first alert after coming back")
          .isEqualTo(alert("once", 2));
      await().atMost(Duration.ofSeconds(5)).until(() -> patient.delivered() == 1);
      assertThat(redis.client().lrange("alert/pool-2", 0, -1))
          .as("the second, written, not yet trimmed")
          .containsExactly(alert("once", 2));
      next.assertNoMoreEvents();
      next.closeAndWait();
    }
  }

  @Test
  void aWrittenBatchIsTrimmedSoonWhenNothingFollowsIt() {
    RecordingClient client = client("alert/pool-1");
    publisher.push("alert/pool-1", alert("alone", 1));
    assertThat(client.nextText()).isEqualTo(alert("alone", 1));
    await().atMost(Duration.ofSeconds(1)).until(() -> redis.client().llen("alert/pool-1") == 0);
    await().atMost(Duration.ofSeconds(1)).until(() -> relay.delivered() == 1);
  }

  @Test
  void aClientGetsEveryAlertPushedAfterItsReplyEvenWhenTheListenerIsSlow() throws Exception {
    // An embedding application's listener that takes its time (a database write; here, until the
    // test lets it go) runs between a connection leaving its old key and joining the new one; the
    // reply must not come first.
    CountDownLatch inListener = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    RelayListener slow =
        new RelayListener() {
          @Override
          public void connectionClosed(String key, int remaining) {
            if (key.equals("alert/pool-2")) {
              inListener.countDown();
              try {
                letGo.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        };
    relay.close(); // this test's relay is the one with the slow listener
    relay =
        new RelayServer(
                RelayConfig.builder(redis.endpoint()).bind("127.0.0.1").port(0).build(), slow)
            .start();
    RecordingClient other = client("alert/pool-1");
    RecordingClient moving = client("alert/pool-2");
    moving.identify("alert/pool-1");
    assertThat(inListener.await(10, TimeUnit.SECONDS)).as("the listener runs").isTrue();
    publisher.push("alert/pool-1", alert("while-joining", 0));
    assertThat(other.nextText()).isEqualTo(alert("while-joining", 0));
    moving.assertNoMoreEvents(); // no reply while it is not yet among the key's connections
    letGo.countDown();
    assertThat(moving.nextText()).contains("you are now connected").contains("alert/pool-1");
    publisher.push("alert/pool-1", alert("after-reply", 1));
    assertThat(other.nextText()).isEqualTo(alert("after-reply", 1));
    assertThat(moving.nextText())
        .as("pushed after its reply, so it is among the connections that get it")
        .isEqualTo(alert("after-reply", 1));
  }
}
