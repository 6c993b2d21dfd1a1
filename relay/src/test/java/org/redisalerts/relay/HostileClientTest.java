package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.metric;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.java_websocket.framing.CloseFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.redisalerts.testing.LogCapture;
import org.redisalerts.testing.RawClient;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/**
 * One hostile client must not hurt anyone else: every bound a client could try to step around,
 * tried with a client that does exactly what it wants on the wire.
 */
class HostileClientTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  @RegisterExtension final LogCapture log = new LogCapture();

  private RelayServer relay;

  @AfterEach
  void stop() {
    if (relay != null) {
      relay.close();
    }
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) 'x');
    return b;
  }

  /** The relay closed {@code client} with a close frame of {@code code}. */
  private static void assertClosedWith(RawClient client, int code) throws IOException {
    RawClient.Frame close = client.awaitClose(Duration.ofSeconds(5));
    assertThat(close).as("a close frame").isNotNull();
    assertThat(close.closeCode()).isEqualTo(code);
  }

  @ParameterizedTest(name = "identified first: {0}")
  @ValueSource(booleans = {false, true})
  void fragmentsThatAddUpPastTheLimitCloseTheClientWith1009(boolean identified) throws Exception {
    relay = startRelay(redis);
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      if (identified) {
        client.identify("alert/pool-1");
        assertThat(client.readFrame(Duration.ofSeconds(5)).text())
            .contains("you are now connected");
      }
      // Two fragments of a message that never ends, each within the 4 KiB limit on its own.
      client.sendFrame(false, RawClient.TEXT, bytes(4000));
      client.sendFrame(false, RawClient.CONTINUATION, bytes(4000));
      assertClosedWith(client, CloseFrame.TOOBIG);
    }
    assertThat(metric(relay, "relay_refusals_total", "reason", "frame_too_big")).isEqualTo(1);
  }

  @Test
  void emptyFragmentsCountTooSoAMessageThatNeverEndsCannotFillTheHeap() throws Exception {
    // Empty continuation frames are 6 bytes on the wire and add no payload, but the library keeps
    // a buffer for each: counted by payload alone, millions of them would fill the heap.
    relay = startRelay(redis);
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      client.sendFrame(false, RawClient.TEXT, bytes(0));
      try {
        for (int i = 0; i < 10_000; i++) {
          client.sendFrame(false, RawClient.CONTINUATION, bytes(0));
        }
      } catch (IOException e) {
        // closed by the relay meanwhile
      }
      assertClosedWith(client, CloseFrame.TOOBIG);
    }
    assertThat(metric(relay, "relay_refusals_total", "reason", "frame_too_big")).isEqualTo(1);
  }

  @Test
  void anUnmaskedFrameClosesTheClientWith1002() throws Exception {
    // RFC 6455 5.1: a server closes the connection on a client frame without a mask.
    relay = startRelay(redis);
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      client.identify("alert/pool-1"); // masked: answered
      assertThat(client.readFrame(Duration.ofSeconds(5)).text()).contains("you are now connected");
      byte[] ping = "unmasked".getBytes(StandardCharsets.US_ASCII);
      byte[] frame = new byte[2 + ping.length];
      frame[0] = (byte) (0x80 | RawClient.PING);
      frame[1] = (byte) ping.length; // no mask bit
      System.arraycopy(ping, 0, frame, 2, ping.length);
      client.sendRaw(frame);
      assertClosedWith(client, CloseFrame.PROTOCOL_ERROR);
    }
  }

  @Test
  void aCloseFrameWhoseReasonIsNotUtf8IsAnsweredWith1007() throws Exception {
    // RFC 6455 8.1. Java-WebSocket 1.6.0 fails on it with a NullPointerException: the relay
    // answered 1011 and logged a stack trace for every such frame, a log a client could fill.
    relay = startRelay(redis);
    for (int split : new int[] {0, 3, 7}) {
      try (RawClient client = RawClient.connect(relay.port(), null)) {
        byte[] payload = {0x03, (byte) 0xe8, 'o', 'k', (byte) 0xff, (byte) 0xfe}; // 1000, bad UTF-8
        byte[] mask = {1, 2, 3, 4};
        byte[] frame = new byte[2 + 4 + payload.length];
        frame[0] = (byte) (0x80 | RawClient.CLOSE);
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++) {
          frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        if (split == 0) {
          client.sendRaw(frame);
        } else { // in two writes: the check follows the frame across reads
          client.sendRaw(java.util.Arrays.copyOfRange(frame, 0, split));
          client.socket().getOutputStream().flush();
          client.sendRaw(java.util.Arrays.copyOfRange(frame, split, frame.length));
        }
        assertClosedWith(client, CloseFrame.NO_UTF8);
      }
    }
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      client.sendFrame(
          true, RawClient.CLOSE, new byte[] {0x03, (byte) 0xe8, 'b', 'y', 'e'}); // valid: echoed
      assertClosedWith(client, CloseFrame.NORMAL);
    }
    assertThat(log.count("unexpected failure")).isZero();
  }

  @Test
  void anIdentifySplitIntoAFewFragmentsIsStillOneMessage() throws Exception {
    relay = startRelay(redis);
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      byte[] identify =
          "{\"event\":\"identify\",\"queue\":\"alert/pool-1\"}".getBytes(StandardCharsets.UTF_8);
      client.sendFrame(false, RawClient.TEXT, java.util.Arrays.copyOfRange(identify, 0, 5));
      client.sendFrame(false, RawClient.CONTINUATION, bytes(0));
      client.sendFrame(
          true, RawClient.CONTINUATION, java.util.Arrays.copyOfRange(identify, 5, identify.length));
      assertThat(client.readFrame(Duration.ofSeconds(5)).text()).contains("you are now connected");
    }
  }

  @Test
  void silentConnectionsCountFromAcceptAndCloseAtTheHandshakeDeadline() throws Exception {
    relay = startRelay(redis, b -> b.maxConnections(2).handshakeTimeout(Duration.ofMillis(1500)));
    try (RawClient silent = RawClient.connectTcp(relay.port());
        RawClient halfway = RawClient.connectTcp(relay.port())) {
      halfway.sendRaw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.openConnections() == 2);

      RecordingClient third = connect(relay);
      assertThat(third.nextText()).contains("too many connections");
      assertThat(third.nextClose().code()).isEqualTo(CloseFrame.TRY_AGAIN_LATER);

      assertThat(silent.awaitEnd(Duration.ofSeconds(5))).as("silent one closed").isTrue();
      assertThat(halfway.awaitEnd(Duration.ofSeconds(5))).as("half-sent one closed").isTrue();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> relay.openConnections() == 0);
    assertThat(metric(relay, "relay_refusals_total", "reason", "handshake_timeout")).isEqualTo(2);
    RecordingClient welcome = connect(relay).identifyAndAwaitReply("alert/pool-1");
    welcome.closeAndWait();
  }

  @Test
  void anUpgradeRequestOverTheLimitIsRefusedWith431() throws Exception {
    relay = startRelay(redis);
    try (RawClient client = RawClient.connectTcp(relay.port())) {
      StringBuilder request = new StringBuilder("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      while (request.length() < 40_000) {
        request.append("X-Padding: ").append("y".repeat(100)).append("\r\n");
      }
      client.sendRaw(request.toString().getBytes(StandardCharsets.US_ASCII));
      assertThat(client.readResponseHead()).startsWith("HTTP/1.1 431");
      assertThat(client.awaitEnd(Duration.ofSeconds(5))).isTrue();
    }
    assertThat(metric(relay, "relay_refusals_total", "reason", "handshake_too_large")).isEqualTo(1);
  }

  @Test
  void aPlainHttpRequestOrAnotherWebSocketVersionIsToldWhatThePortTakes() throws Exception {
    // RFC 6455 4.2.2 and 4.4: 426 with the version the server speaks. The library answered 404
    // "WebSocket Upgrade Failure" with a Server header that named it.
    relay = startRelay(redis);
    String plain = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    String version8 =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
    for (String request : List.of(plain, version8)) {
      try (RawClient client = RawClient.connectTcp(relay.port())) {
        client.sendRaw(request.getBytes(StandardCharsets.US_ASCII));
        String head = client.readResponseHead();
        assertThat(head)
            .startsWith("HTTP/1.1 426")
            .containsIgnoringCase("\r\nSec-WebSocket-Version: 13\r\n")
            .containsIgnoringCase("\r\nUpgrade: websocket\r\n")
            .doesNotContainIgnoringCase("Server:");
        assertThat(client.awaitEnd(Duration.ofSeconds(5))).isTrue();
      }
    }
    assertThat(metric(relay, "relay_refusals_total", "reason", "bad_handshake")).isEqualTo(2);
    // A WebSocket client of version 13 is still welcome.
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      client.identify("alert/pool-1");
      assertThat(client.readFrame(Duration.ofSeconds(5)).text()).contains("you are now connected");
    }
  }

  @Test
  void aMalformedUpgradeRequestIsAnswered400WithItsReason() throws Exception {
    // RFC 6455 4.2.1 and 4.2.2: the library answered these 404 "WebSocket Upgrade Failure" with
    // its name in a Server header, and a malformed key with 101.
    relay = startRelay(redis);
    String rest = "Host: 127.0.0.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
    String key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    Map<String, String> requests =
        Map.of(
            "POST / HTTP/1.1\r\n" + rest + "Connection: Upgrade\r\n" + key + "\r\n",
            "the method must be GET",
            "GET / HTTP/1.0\r\n" + rest + "Connection: Upgrade\r\n" + key + "\r\n",
            "HTTP/1.1 is needed",
            "GET / HTTP/1.1\r\n" + rest + "Connection: Upgrade\r\n\r\n",
            "no Sec-WebSocket-Key",
            "GET / HTTP/1.1\r\n" + rest + "Connection: Upgrade\r\nSec-WebSocket-Key: short\r\n\r\n",
            "not 16 bytes",
            "GET / HTTP/1.1\r\n" + rest + key + "\r\n",
            "no Connection: Upgrade");
    for (Map.Entry<String, String> request : requests.entrySet()) {
      try (RawClient client = RawClient.connectTcp(relay.port())) {
        client.sendRaw(request.getKey().getBytes(StandardCharsets.US_ASCII));
        String head = client.readResponseHead();
        assertThat(head)
            .as(request.getValue())
            .startsWith("HTTP/1.1 400")
            .doesNotContain("Server:");
        assertThat(client.awaitEnd(Duration.ofSeconds(5))).isTrue();
      }
    }
    assertThat(metric(relay, "relay_refusals_total", "reason", "bad_handshake")).isEqualTo(5);
    // "Connection: keep-alive, Upgrade", as Firefox sends it, is an upgrade.
    try (RawClient client = RawClient.connectTcp(relay.port())) {
      client.sendRaw(
          ("GET / HTTP/1.1\r\n" + rest + "Connection: keep-alive, Upgrade\r\n" + key + "\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      assertThat(client.readResponseHead()).startsWith("HTTP/1.1 101");
    }
  }

  @Test
  void connectionsFromOneAddressBeyondItsLimitAreRefused() throws Exception {
    relay = startRelay(redis, b -> b.maxConnectionsPerIp(2));
    RecordingClient one = connect(relay).identifyAndAwaitReply("alert/pool-1");
    RecordingClient two = connect(relay).identifyAndAwaitReply("alert/pool-2");
    RecordingClient three = connect(relay);
    assertThat(three.nextText()).contains("too many connections from your address");
    assertThat(three.nextClose().code()).isEqualTo(CloseFrame.TRY_AGAIN_LATER);
    two.closeAndWait();
    await().atMost(Duration.ofSeconds(5)).until(() -> relay.openConnections() == 1);
    RecordingClient four = connect(relay).identifyAndAwaitReply("alert/pool-4");
    four.closeAndWait();
    one.closeAndWait();
  }

  @Test
  void clientsThatIdentifyAndResetAtOnceLeaveNothingBehind() throws Exception {
    relay = startRelay(redis);
    int clients = 600;
    ExecutorService pool = Executors.newFixedThreadPool(24);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        // Half on one key, half on keys of their own.
        String key = i % 2 == 0 ? "alert/pool-shared" : "alert/pool-" + i;
        done.add(
            pool.submit(
                () -> {
                  try (RawClient client = RawClient.connect(relay.port(), null)) {
                    client.identify(key);
                    client.reset();
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> relay.connections() == 0 && relay.openConnections() == 0);
    assertThat(metric(relay, "relay_connections_identified")).isZero();
    assertThat(metric(relay, "relay_keys")).isZero();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> log.count("client ready ") == log.count("client closed key="));

    // An alert for such a key stays queued, and nothing keeps stepping it.
    long before = redis.scriptCalls();
    new TestPublisher(redis).push("alert/pool-shared", alert("nobody", 1));
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.client().llen("watch") == 0);
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> redis.scriptCalls() - before <= 2);
    assertThat(redis.client().llen("alert/pool-shared")).isEqualTo(1);
  }

  @Test
  void whatClientsSendIsEscapedInTheLog() throws Exception {
    relay = startRelay(redis);
    String forged = "alert/x\n2026-01-01T00:00:00Z [INFO] FAKE line\u001b[31m\u0000";
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      client.identify(forged);
      assertThat(client.awaitClose(Duration.ofSeconds(5)).closeCode())
          .isEqualTo(CloseFrame.POLICY_VALIDATION);
    }
    RecordingClient polite = connect(relay).identifyAndAwaitReply("alert/pool-\u202eevil");
    polite.close(CloseFrame.NORMAL, "bye\n2026-01-01T00:00:00Z [INFO] FAKE close");
    await().atMost(Duration.ofSeconds(5)).until(() -> relay.connections() == 0);
    await().atMost(Duration.ofSeconds(5)).until(() -> log.text().contains("client closed key="));

    String text = log.text();
    assertThat(log.lines()).noneMatch(line -> line.startsWith("2026-01-01T00:00:00Z [INFO] FAKE"));
    assertThat(text).doesNotContain("\u001b").doesNotContain("\u0000").doesNotContain("\u202e");
    assertThat(text).contains("\\u000a2026-01-01T00:00:00Z [INFO] FAKE line\\u001b[31m\\u0000");
    assertThat(text).contains("key=\"alert/pool-\\u202eevil\"");
    assertThat(text).contains("reason=\"bye\\u000a2026-01-01T00:00:00Z [INFO] FAKE close\"");
  }

  @Test
  void aKeyTooLongToAcceptIsEscapedInTheLogAndItsCloseFrameStaysAControlFrame() throws Exception {
    // The length check comes before the control-character check, and its message names the key's
    // start; the close reason names it too, in a frame that may hold 125 bytes.
    relay = startRelay(redis);
    String forged =
        "alert/\u001b[2J\n2026-01-01T00:00:00Z [INFO] FAKE\u2028" + "\u20ac".repeat(1100);
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      client.identify(forged);
      RawClient.Frame close = client.awaitClose(Duration.ofSeconds(5));
      assertThat(close.closeCode()).isEqualTo(CloseFrame.POLICY_VALIDATION);
      assertThat(close.payload().length).as("close frame payload").isLessThanOrEqualTo(125);
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> log.text().contains("client refused: key is longer than"));
    assertThat(log.lines()).noneMatch(line -> line.startsWith("2026-01-01T00:00:00Z [INFO] FAKE"));
    assertThat(log.text()).doesNotContain("\u001b").doesNotContain("\u2028");
  }

  @Test
  void aFloodOfMessagesClosesTheClient() throws Exception {
    relay = startRelay(redis);
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      // A few over the burst of 60: more would reach a closed socket, whose reset could beat the
      // close frame to this client.
      for (int i = 0; i < 63; i++) {
        try {
          client.sendText("{\"event\":\"hello\",\"n\":" + i + "}");
        } catch (IOException e) {
          break; // closed already
        }
      }
      RawClient.Frame close = client.awaitClose(Duration.ofSeconds(5));
      assertThat(close.closeCode()).isEqualTo(CloseFrame.POLICY_VALIDATION);
    }
    assertThat(metric(relay, "relay_refusals_total", "reason", "too_many_messages")).isEqualTo(1);
  }

  /**
   * Each identify with another key logs two lines (left one key, joined another): within the
   * message budget a connection could still switch 18 times a second, forever. Ten switches at
   * once, then ten a minute.
   */
  @Test
  void switchingKeysOverAndOverClosesTheClient() throws Exception {
    relay = startRelay(redis);
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      client.sendText("{\"event\":\"identify\",\"queue\":\"alert/switch-0\"}");
      for (int i = 1; i <= 10; i++) { // ten key changes: allowed
        client.sendText("{\"event\":\"identify\",\"queue\":\"alert/switch-" + i + "\"}");
      }
      String reply;
      do { // the replies come in order: the last one's means all ten were taken
        RawClient.Frame frame = client.readFrame(Duration.ofSeconds(5));
        assertThat(frame.opcode()).as("a reply, not a close").isEqualTo(RawClient.TEXT);
        reply = frame.text();
      } while (!reply.contains("alert/switch-10"));
      client.sendText("{\"event\":\"identify\",\"queue\":\"alert/switch-11\"}");
      RawClient.Frame close = client.awaitClose(Duration.ofSeconds(5));
      assertThat(close.closeCode()).isEqualTo(CloseFrame.POLICY_VALIDATION);
    }
    assertThat(metric(relay, "relay_refusals_total", "reason", "too_many_messages")).isEqualTo(1);
  }

  @ParameterizedTest(name = "opcode {0}")
  @ValueSource(ints = {RawClient.PING, RawClient.PONG})
  void aFloodOfPingsOrUnaskedPongsClosesTheClientToo(int opcode) throws Exception {
    relay = startRelay(redis);
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      client.identify("alert/pool-1");
      for (int i = 0; i < 63; i++) {
        try {
          client.sendFrame(true, opcode, bytes(100));
        } catch (IOException e) {
          break;
        }
      }
      assertThat(client.awaitClose(Duration.ofSeconds(5)).closeCode())
          .isEqualTo(CloseFrame.POLICY_VALIDATION);
    }
  }

  @Test
  void identifyingAgainAndAgainWhileRepliesAreHeldCostsOneTimerNotOnePerIdentify()
      throws Exception {
    // The first identify of a key waits for the key's first step (another relay may hold it), with
    // a fallback in case no answer comes; a client that switches keys as fast as its budget allows
    // must not make the relay keep a fallback timer per identify for every client.
    relay = startRelay(redis);
    int before = relay.scheduledTasks();
    try (RawClient client = RawClient.connect(relay.port(), null)) {
      int identifies = 11; // the first, and the ten key changes allowed at once
      for (int i = 0; i < identifies; i++) {
        client.identify("alert/pool-flood-" + i);
      }
      for (int i = 0; i < identifies; i++) {
        assertThat(client.readFrame(Duration.ofSeconds(5)).text())
            .as("reply %d", i)
            .contains("you are now connected");
      }
      assertThat(relay.scheduledTasks() - before).isLessThanOrEqualTo(2);
    }
  }

  @Test
  void theListeningSocketQueuesAStormOfConnects() throws Exception {
    relay = startRelay(redis);
    java.nio.file.Path ss =
        java.util.stream.Stream.of("/usr/bin/ss", "/bin/ss", "/usr/sbin/ss", "/sbin/ss")
            .map(java.nio.file.Path::of)
            .filter(java.nio.file.Files::isExecutable)
            .findFirst()
            .orElse(null);
    org.junit.jupiter.api.Assumptions.assumeTrue(ss != null, "ss (iproute2) is not installed");
    Process p =
        new ProcessBuilder(ss.toString(), "-ltnH", "sport = :" + relay.port())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    p.waitFor();
    // State Recv-Q Send-Q Local:Port Peer: for a listener, Send-Q is its accept backlog (capped by
    // net.core.somaxconn).
    String[] fields = out.trim().split("\\s+");
    int backlog = Integer.parseInt(fields[2]);
    // Not Files.readString: it reads a /proc file by its reported size (0) and gets it wrong.
    int somaxconn =
        Integer.parseInt(
            java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/sys/net/core/somaxconn"))
                .get(0)
                .trim());
    assertThat(backlog)
        .as("ss said %s; somaxconn %d", out.trim(), somaxconn)
        .isEqualTo(Math.min(RelayConfig.DEFAULT_BACKLOG, somaxconn));
    assertThat(backlog).isGreaterThan(50);
  }
}
