package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.startRelay;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.java_websocket.framing.CloseFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.KeyGlob;
import org.redisalerts.testing.LogCapture;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.RecordingClient.Closed;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/** SPEC 4: who may identify, and what a client may send. */
class SafetyTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();
  @RegisterExtension final LogCapture log = new LogCapture();

  private RelayServer relay;

  @AfterEach
  void stop() throws Exception {
    relay.close();
  }

  /** Expects an error frame, then a close with {@code code}; returns the error's message. */
  private static String expectRefusal(RecordingClient client, int code) throws Exception {
    var error = new JsonCodec().readTree(client.nextText());
    assertThat(error.get("event").asText()).isEqualTo("error");
    Closed closed = client.nextClose();
    assertThat(closed.code()).as("close code, reason %s", closed.reason()).isEqualTo(code);
    assertThat(closed.reason()).isNotBlank();
    return error.get("message").asText();
  }

  @Test
  void keyOutsideTheAllowListIsRefusedWithAPolicyClose() throws Exception {
    relay = startRelay(redis);
    RecordingClient client = connect(relay).identify("someone-else");
    assertThat(expectRefusal(client, CloseFrame.POLICY_VALIDATION)).contains("not allowed");
    client.assertNoMoreEvents();
  }

  @Test
  void refusedClientsCannotFloodTheLog() throws Exception {
    // Each connection refused before it identified closes: a client can repeat that as fast as it
    // connects, so neither the refusal nor the close may cost a log line each.
    relay = startRelay(redis);
    for (int i = 0; i < 30; i++) {
      RecordingClient client = connect(relay).identify("someone-else-" + i);
      expectRefusal(client, CloseFrame.POLICY_VALIDATION);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> relay.openConnections() == 0);
    assertThat(log.count("client closed before identifying")).isEqualTo(1);
    assertThat(log.count("client refused")).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"watch", "watch:dead", "watch:claims", "watch:claim:alert/pool-1"})
  void relayKeysAreRefusedWhateverTheAllowListSays(String key) throws Exception {
    relay = startRelay(redis, b -> b.allowKeys(List.of(new KeyGlob("*"))));
    RecordingClient client = connect(relay).identify(key);
    assertThat(expectRefusal(client, CloseFrame.POLICY_VALIDATION)).contains("reserved");
  }

  @Test
  void allowListTakesSeveralGlobs() throws Exception {
    relay =
        startRelay(
            redis, b -> b.allowKeys(List.of(new KeyGlob("alert/*"), new KeyGlob("ops/[ab]?"))));
    RecordingClient ops = connect(relay).identifyAndAwaitReply("ops/a1");
    new TestPublisher(redis).push("ops/a1", TestPublisher.alert("ops", 1));
    assertThat(ops.nextText()).isEqualTo(TestPublisher.alert("ops", 1));
    RecordingClient refused = connect(relay).identify("ops/c1");
    expectRefusal(refused, CloseFrame.POLICY_VALIDATION);
    ops.closeAndWait();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "not json",
        "[1,2]",
        "{\"queue\":\"alert/pool-1\"}",
        "{\"event\":\"identify\"}",
        "{\"event\":\"identify\",\"queue\":42}",
        "{\"event\":\"identify\",\"queue\":\"alert/\\ud800\"}",
        "{\"event\":\"identify\",\"queue\":\"alert/\\udc00x\"}"
      })
  void malformedControlMessagesCloseTheClient(String frame) throws Exception {
    relay = startRelay(redis);
    RecordingClient client = connect(relay);
    client.send(frame);
    expectRefusal(client, CloseFrame.POLICY_VALIDATION);
  }

  @Test
  void binaryFramesCloseTheClient() throws Exception {
    relay = startRelay(redis);
    RecordingClient client = connect(relay);
    client.send(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    expectRefusal(client, CloseFrame.REFUSE);
  }

  @Test
  void frameOverTheSizeLimitClosesTheClient() throws Exception {
    relay = startRelay(redis);
    RecordingClient client = connect(relay);
    client.send("{\"event\":\"identify\",\"queue\":\"alert/" + "x".repeat(5000) + "\"}");
    Closed closed = client.nextClose();
    assertThat(closed.code()).isEqualTo(CloseFrame.TOOBIG);
    // The same reason as for a message of many fragments (the library's differ by size).
    assertThat(closed.reason()).isEqualTo("message over 4096 bytes");
  }

  @Test
  void frameWithinTheSizeLimitIsAccepted() throws Exception {
    relay = startRelay(redis);
    String key = "alert/" + "x".repeat(1000);
    RecordingClient client = connect(relay).identifyAndAwaitReply(key);
    client.assertNoMoreEvents();
    client.closeAndWait();
  }

  @Test
  void clientThatDoesNotIdentifyInTimeIsClosed() throws Exception {
    relay = startRelay(redis, b -> b.identifyTimeout(Duration.ofMillis(300)));
    RecordingClient client = connect(relay);
    assertThat(expectRefusal(client, CloseFrame.POLICY_VALIDATION)).contains("identify");
  }

  @Test
  void identifiedClientOutlivesTheIdentifyDeadline() throws Exception {
    relay = startRelay(redis, b -> b.identifyTimeout(Duration.ofMillis(300)));
    RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-1");
    RecordingClient late = connect(relay);
    expectRefusal(late, CloseFrame.POLICY_VALIDATION); // the deadline has certainly passed for both
    new TestPublisher(redis).push("alert/pool-1", TestPublisher.alert("still here", 1));
    assertThat(client.nextText()).isEqualTo(TestPublisher.alert("still here", 1));
    client.closeAndWait();
  }

  @Test
  void unknownEventsAreIgnored() throws Exception {
    relay = startRelay(redis);
    RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-1");
    client.send("{\"event\":\"hello\"}");
    new TestPublisher(redis).push("alert/pool-1", TestPublisher.alert("after", 1));
    assertThat(client.nextText()).isEqualTo(TestPublisher.alert("after", 1));
    client.closeAndWait();
  }

  @Test
  void connectionsBeyondTheLimitAreRefusedWithTryAgainLater() throws Exception {
    relay = startRelay(redis, b -> b.maxConnections(2));
    RecordingClient first = connect(relay).identifyAndAwaitReply("alert/pool-1");
    RecordingClient second = connect(relay);
    RecordingClient third = connect(relay);
    assertThat(expectRefusal(third, CloseFrame.TRY_AGAIN_LATER)).contains("too many connections");
    second.identifyAndAwaitReply("alert/pool-2");
    second.closeAndWait();
    // A place is free again once the refused and the closed connection have gone.
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> relay.openConnections() == 1);
    RecordingClient fourth = connect(relay).identifyAndAwaitReply("alert/pool-4");
    fourth.closeAndWait();
    first.closeAndWait();
  }

  @Test
  void aConnectionThatDoesNotAnswerPingsIsDropped() throws Exception {
    relay = startRelay(redis, b -> b.pingInterval(Duration.ofSeconds(1)));
    try (org.redisalerts.testing.StalledClient silent =
        org.redisalerts.testing.StalledClient.identify(relay.port(), "alert/pool-silent")) {
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> relay.connections() == 1);
      RecordingClient lively = connect(relay).identifyAndAwaitReply("alert/pool-lively");
      // The silent client never answers a ping (it reads nothing); the lively one does.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> relay.openConnections() == 1);
      new TestPublisher(redis).push("alert/pool-lively", TestPublisher.alert("still here", 1));
      assertThat(lively.nextText()).isEqualTo(TestPublisher.alert("still here", 1));
      lively.closeAndWait();
    }
  }
}
