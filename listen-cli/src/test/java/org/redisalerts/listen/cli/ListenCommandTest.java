package org.redisalerts.listen.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.testing.TestPublisher.alert;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.testing.TestCertificates;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;
import picocli.CommandLine;

/** listen, in-process, against a real relay and Redis. */
class ListenCommandTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private RelayServer relay;
  private TestPublisher publisher;

  @BeforeEach
  void start() throws Exception {
    relay = startRelay(0);
    publisher = new TestPublisher(redis);
  }

  @AfterEach
  void stop() {
    relay.close();
  }

  private RelayServer startRelay(int port) throws Exception {
    return new RelayServer(
            RelayConfig.builder(redis.endpoint()).bind("127.0.0.1").port(port).build())
        .start();
  }

  private String url() {
    return "ws://127.0.0.1:" + relay.port() + "/listen";
  }

  private int run(String... args) {
    CommandLine cli = ListenMain.commandLine(new ListenCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  private CompletableFuture<Integer> runInBackground(String... args) {
    return CompletableFuture.supplyAsync(() -> run(args));
  }

  private List<String> lines() {
    String text = out.toString();
    return text.isEmpty()
        ? List.of()
        : List.of(text.split("\n", -1)).subList(0, text.split("\n", -1).length - 1);
  }

  @Test
  void jsonLinesAreTheFramesExactlyAndInOrder() {
    List<String> alerts =
        List.of(
            "{\"event\":\"alert\",\"message\":\"caf\u00e9 \ud83d\ude80\",\"n\":1}",
            "{ \"event\" : \"alert\", \"n\" : 2.50 }",
            alert("third", 3));
    publisher.push("alert/pool-1", alerts);
    assertThat(run("--url", url(), "--key", "alert/pool-1", "--json", "--count", "3")).isZero();
    assertThat(out.toString()).isEqualTo(String.join("\n", alerts) + "\n");
    assertThat(err.toString())
        .contains("identified as alert/pool-1")
        .contains("you are now connected");
  }

  @Test
  void jsonLinesHoldOneAlertEachWhenAFrameHasLineBreaks() {
    // Pretty-printed JSON is valid, and its line breaks are white space: a space keeps the value
    // and keeps one alert per line (SPEC 5) for wc -l, head -n, while read.
    String pretty = "{\n  \"event\": \"alert\",\r\n  \"message\": \"pretty\"\n}";
    publisher.push("alert/pool-1", List.of(pretty, alert("second", 2)));
    assertThat(run("--url", url(), "--key", "alert/pool-1", "--json", "--count", "2")).isZero();
    assertThat(out.toString())
        .isEqualTo(
            "{   \"event\": \"alert\",    \"message\": \"pretty\" }\n" + alert("second", 2) + "\n");
  }

  @Test
  void countExitsZeroOnceThatManyLiveAlertsArrived() throws Exception {
    CompletableFuture<Integer> listen =
        runInBackground("--url", url(), "--pool", "pool", "--id", "7", "--count", "2");
    await().atMost(Duration.ofSeconds(10)).until(() -> relay.connections() == 1);
    publisher.push("alert/pool-7", alert("a", 1), alert("b", 2), alert("c", 3));
    assertThat(listen.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(lines()).containsExactly(alert("a", 1), alert("b", 2));
    await().atMost(Duration.ofSeconds(5)).until(() -> relay.connections() == 0);
  }

  private static List<String> alerts(String name, int from, int to) {
    List<String> list = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      list.add(alert(name, i));
    }
    return list;
  }

  private long queued(String key) {
    return redis.client().llen(key);
  }

  @Test
  void ackWithCountTakesExactlyThatManyOffTheKeyAndTheNextConsumerGetsTheRestInOrder() {
    String key = "alert/pool-ack";
    List<String> backlog = alerts("backlog", 1, 10);
    publisher.push(key, backlog);

    assertThat(
            run(
                "--url",
                url(),
                "--key",
                key,
                "--ack",
                "--json",
                "--count",
                "3",
                "--timeout",
                "20s"))
        .as(err.toString())
        .isZero();
    assertThat(lines()).containsExactlyElementsOf(backlog.subList(0, 3));
    assertThat(err.toString()).contains("\"ack\":true");
    // The relay sent all ten at once; the seven listen did not acknowledge stay queued.
    await("7 alerts queued").atMost(Duration.ofSeconds(10)).until(() -> queued(key) == 7);

    out.getBuffer().setLength(0);
    assertThat(
            run(
                "--url",
                url(),
                "--key",
                key,
                "--ack",
                "--json",
                "--count",
                "7",
                "--timeout",
                "20s"))
        .as(err.toString())
        .isZero();
    assertThat(lines()).containsExactlyElementsOf(backlog.subList(3, 10));
    await("nothing queued").atMost(Duration.ofSeconds(10)).until(() -> queued(key) == 0);
  }

  @Test
  void ackTakesALongBacklogWindowByWindowEachAlertOnceWithinTheRelaysMessageBudget() {
    // Four windows of 100, more than the relay lets a client send messages at once (60).
    String key = "alert/pool-long";
    List<String> backlog = alerts("long", 1, 400);
    publisher.push(key, backlog);

    assertThat(
            run(
                "--url",
                url(),
                "--key",
                key,
                "--ack",
                "--json",
                "--count",
                "400",
                "--timeout",
                "60s"))
        .as(err.toString())
        .isZero();
    assertThat(lines()).containsExactlyElementsOf(backlog);
    assertThat(err.toString()).doesNotContain("too many messages").doesNotContain("reconnecting");
    await("nothing queued").atMost(Duration.ofSeconds(10)).until(() -> queued(key) == 0);
  }

  @Test
  void withoutAckWhatWasOnItsWayWhenTheCountWasReachedIsGoneFromRedis() {
    String key = "alert/pool-plain";
    List<String> backlog = alerts("backlog", 1, 10);
    publisher.push(key, backlog);

    assertThat(run("--url", url(), "--key", key, "--json", "--count", "3", "--timeout", "20s"))
        .isZero();
    assertThat(lines()).containsExactlyElementsOf(backlog.subList(0, 3));
    assertThat(err.toString()).contains("identified as " + key).doesNotContain("\"ack\"");
    // Written is delivered for a plain connection: the seven not printed left Redis too.
    await("nothing queued").atMost(Duration.ofSeconds(10)).until(() -> queued(key) == 0);
  }

  @Test
  void ackCountsStartOverAfterReconnecting() throws Exception {
    String key = "alert/pool-again";
    publisher.push(key, alerts("before", 1, 2));
    CompletableFuture<Integer> listen =
        runInBackground(
            "--url", url(), "--key", key, "--ack", "--json", "--count", "4", "--timeout", "40s");
    await().atMost(Duration.ofSeconds(10)).until(() -> lines().size() == 2);
    await("both acknowledged").atMost(Duration.ofSeconds(10)).until(() -> queued(key) == 0);

    int port = relay.port();
    relay.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> err.toString().contains("reconnecting in"));
    relay = startRelay(port);
    publisher.push(key, alerts("after", 3, 4));

    assertThat(listen.get(40, TimeUnit.SECONDS)).as(err.toString()).isZero();
    assertThat(lines())
        .containsExactly(
            alert("before", 1), alert("before", 2), alert("after", 3), alert("after", 4));
    // Counting on from 2 would be an ack beyond what this connection was sent: the relay
    // would close it (1008) and keep both alerts.
    await("the alerts after the reconnection acknowledged")
        .atMost(Duration.ofSeconds(10))
        .until(() -> queued(key) == 0);
    assertThat(err.toString()).doesNotContain("1008");
  }

  @Test
  void ackWhenTheOutputFailsAcknowledgesNothingAndExits9() {
    String key = "alert/pool-full";
    List<String> backlog = alerts("kept", 1, 3);
    publisher.push(key, backlog);
    Writer broken =
        new Writer() {
          @Override
          public void write(char[] buffer, int offset, int length) throws IOException {
            throw new IOException("No space left on device");
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    CommandLine cli = ListenMain.commandLine(new ListenCommand());
    cli.setOut(new PrintWriter(broken));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute("--url", url(), "--key", key, "--ack", "--json", "--timeout", "20s");
    assertThat(code).as(err.toString()).isEqualTo(ExitCodes.OUTPUT_FAILED);
    assertThat(err.toString()).contains("alert 1 and those after it were not acknowledged");

    // Nothing was acknowledged, so the next consumer gets all three.
    assertThat(run("--url", url(), "--key", key, "--json", "--count", "3", "--timeout", "20s"))
        .as(err.toString())
        .isZero();
    assertThat(lines()).containsExactlyElementsOf(backlog);
  }

  @Test
  void ackAgainstARelayWithoutAcknowledgementsExits8AndAcknowledgesNothing() throws Exception {
    try (OldRelay old = new OldRelay()) {
      int code =
          run(
              "--url",
              "ws://127.0.0.1:" + old.getPort() + "/",
              "--key",
              "alert/pool-1",
              "--ack",
              "--json",
              "--timeout",
              "20s");
      assertThat(code).as(err.toString()).isEqualTo(ExitCodes.ACKS_UNSUPPORTED);
      assertThat(err.toString()).contains("does not support acknowledgements");
      assertThat(out.toString()).isEmpty();
      assertThat(old.received)
          .containsExactly("{\"event\":\"identify\",\"queue\":\"alert/pool-1\",\"ack\":true}");
    }
  }

  /**
   * A relay from before acknowledgements: it answers an identify without {@code "ack":true} and
   * sends an alert straight after, as it would the key's backlog.
   */
  private static final class OldRelay extends WebSocketServer implements AutoCloseable {
    final List<String> received = new CopyOnWriteArrayList<>();
    private final CountDownLatch started = new CountDownLatch(1);

    OldRelay() throws InterruptedException {
      super(new InetSocketAddress("127.0.0.1", 0));
      setReuseAddr(true);
      start();
      assertThat(started.await(10, TimeUnit.SECONDS)).as("old relay started").isTrue();
    }

    @Override
    public void onStart() {
      started.countDown();
    }

    @Override
    public void onOpen(WebSocket socket, ClientHandshake handshake) {}

    @Override
    public void onMessage(WebSocket socket, String message) {
      received.add(message);
      if (message.contains("\"identify\"")) {
        socket.send(
            "{\"event\":\"identified\",\"message\":\"you are now connected\","
                + "\"queue\":\"alert/pool-1\"}");
        socket.send(alert("written, and so gone", 1));
      }
    }

    @Override
    public void onClose(WebSocket socket, int code, String reason, boolean remote) {}

    @Override
    public void onError(WebSocket socket, Exception e) {}

    @Override
    public void close() throws InterruptedException {
      stop(5000);
    }
  }

  @Test
  void timeoutExits1WhenTheCountIsNotReached() {
    publisher.push("alert/pool-1", alert("only", 1));
    assertThat(run("--url", url(), "--key", "alert/pool-1", "--count", "2", "--timeout", "700ms"))
        .isEqualTo(ExitCodes.TIMED_OUT);
    assertThat(lines()).containsExactly(alert("only", 1));
    assertThat(err.toString()).contains("timed out").contains("1 of 2 alerts");
  }

  @Test
  void refusedKeyExits3WithTheRelaysReason() {
    assertThat(run("--url", url(), "--key", "not-an-alert-key", "--count", "1"))
        .isEqualTo(ExitCodes.REFUSED);
    assertThat(err.toString()).contains("key is not allowed");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void reconnectsAfterTheRelayRestartsAndGoesOn() throws Exception {
    CompletableFuture<Integer> listen =
        runInBackground("--url", url(), "--key", "alert/pool-1", "--count", "2");
    await().atMost(Duration.ofSeconds(10)).until(() -> relay.connections() == 1);
    publisher.push("alert/pool-1", alert("before", 1));
    await().atMost(Duration.ofSeconds(10)).until(() -> lines().size() == 1);

    int port = relay.port();
    relay.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> err.toString().contains("reconnecting in"));
    relay = startRelay(port);
    await().atMost(Duration.ofSeconds(30)).until(() -> relay.connections() == 1);
    publisher.push("alert/pool-1", alert("after", 2));

    assertThat(listen.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(lines()).containsExactly(alert("before", 1), alert("after", 2));
    assertThat(err.toString()).contains("connection closed (1001");
  }

  @Test
  void noReconnectExits4WhenTheConnectionDrops() throws Exception {
    CompletableFuture<Integer> listen =
        runInBackground("--url", url(), "--key", "alert/pool-1", "--no-reconnect");
    await().atMost(Duration.ofSeconds(10)).until(() -> relay.connections() == 1);
    relay.close();
    assertThat(listen.get(20, TimeUnit.SECONDS)).isEqualTo(ExitCodes.DISCONNECTED);
  }

  @Test
  void noRelayWithNoReconnectExits4NamingTheUrl() {
    assertThat(run("--url", "ws://127.0.0.1:1/", "--key", "alert/pool-1", "--no-reconnect"))
        .isEqualTo(ExitCodes.DISCONNECTED);
    assertThat(err.toString()).contains("cannot connect to ws://127.0.0.1:1/");
  }

  @Test
  void commandLineMistakesExit2() {
    List<String[]> mistakes = new ArrayList<>();
    Collections.addAll(
        mistakes,
        new String[] {"--count", "1"},
        new String[] {"--key", "alert/a-1", "--pool", "p", "--id", "1"},
        new String[] {"--url", "http://127.0.0.1:3001/", "--key", "alert/a-1"},
        new String[] {"--key", "alert/a-1", "--timeout", "soon"},
        new String[] {"--key", "alert/a-1", "--count", "-1"},
        new String[] {"--key", "alert/a-1", "--bogus"},
        new String[] {"--url", "ws://127.0.0.1:99999/", "--key", "alert/a-1"});
    for (String[] args : mistakes) {
      assertThat(run(args)).as(String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
    }
    assertThat(err.toString())
        .contains("no key")
        .contains("not both")
        .contains("ws://")
        .contains("--timeout")
        .contains("--count")
        .contains("--bogus")
        .contains("port out of range in --url");
  }

  @Test
  void completionScriptCompletesEveryOption() {
    assertThat(run("--generate-completion")).isZero();
    for (var option : ListenMain.commandLine(new ListenCommand()).getCommandSpec().options()) {
      if (!option.hidden()) {
        assertThat(out.toString()).as(option.longestName()).contains(option.longestName());
      }
    }
  }

  @Test
  void helpDocumentsTheExitCodesAndEnvironment() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString())
        .contains(
            "RWA_URL",
            "RWA_KEY",
            "RWA_POOL",
            "RWA_ID",
            "RWA_JSON",
            "RWA_COUNT",
            "RWA_TIMEOUT",
            "RWA_NO_RECONNECT",
            "RWA_ACK",
            "3  the relay refused the key",
            "8  --ack, and the relay does not support acknowledgements");
  }

  /** A relay that requires tokens signed with a fresh secret; returns the secret file. */
  private java.nio.file.Path tokenRelay() throws Exception {
    java.nio.file.Path secret = java.nio.file.Files.createTempFile("listen-secret-", "");
    java.nio.file.Files.writeString(secret, "s".repeat(40));
    relay.close();
    relay =
        new RelayServer(
                RelayConfig.builder(redis.endpoint())
                    .bind("127.0.0.1")
                    .port(0)
                    .tokenSecretFile(secret)
                    .build())
            .start();
    return secret;
  }

  private static String token(java.nio.file.Path secret, String key, Duration ttl)
      throws Exception {
    return org.redisalerts.relay.Tokens.mint(
        secret, null, null, List.of(key), "listen-test", null, ttl, null, null);
  }

  @Test
  void aTokenIdentifiesWithARelayThatRequiresOne() throws Exception {
    java.nio.file.Path secret = tokenRelay();
    publisher.push("alert/pool-1", alert("for the holder", 1));
    int code =
        run(
            "--url",
            url(),
            "--key",
            "alert/pool-1",
            "--json",
            "--count",
            "1",
            "--timeout",
            "10s",
            "--token",
            token(secret, "alert/pool-1", Duration.ofMinutes(5)));
    assertThat(code).isZero();
    assertThat(lines()).containsExactly(alert("for the holder", 1));
  }

  @Test
  void aRefusedTokenExits5WithTheReasonAndDoesNotReconnect() throws Exception {
    java.nio.file.Path secret = tokenRelay();
    int code =
        run(
            "--url",
            url(),
            "--key",
            "alert/pool-2",
            "--json",
            "--timeout",
            "10s",
            "--token",
            token(secret, "alert/pool-1", Duration.ofMinutes(5)));
    assertThat(code).isEqualTo(ExitCodes.TOKEN_REFUSED);
    assertThat(err.toString()).contains("token does not cover alert/pool-2");
  }

  @Test
  void anExpiredTokenExits6() throws Exception {
    java.nio.file.Path secret = tokenRelay();
    int code =
        run(
            "--url",
            url(),
            "--key",
            "alert/pool-1",
            "--json",
            "--timeout",
            "20s",
            "--token",
            token(secret, "alert/pool-1", Duration.ofSeconds(1)));
    assertThat(code).isEqualTo(ExitCodes.TOKEN_EXPIRED);
    assertThat(err.toString()).contains("token expired");
  }

  /** Restarts the relay on {@code wss://} with a new self-signed certificate; returns it. */
  private TestCertificates.Issued tlsRelay(java.nio.file.Path dir) throws Exception {
    return tlsRelay(TestCertificates.issue(dir, "relay", "EC"));
  }

  private TestCertificates.Issued tlsRelay(TestCertificates.Issued certificate) throws Exception {
    relay.close();
    relay =
        new RelayServer(
                RelayConfig.builder(redis.endpoint())
                    .bind("127.0.0.1")
                    .port(0)
                    .tls(certificate.chain(), certificate.key())
                    .build())
            .start();
    return certificate;
  }

  @Test
  void wssWithTheRelaysCertificateGivenAsCaReceivesAlerts(@TempDir java.nio.file.Path dir)
      throws Exception {
    TestCertificates.Issued certificate = tlsRelay(dir);
    publisher.push("alert/pool-1", alert("over tls", 1));
    int code =
        run(
            "--url",
            "wss://localhost:" + relay.port() + "/listen",
            "--ca",
            certificate.chain().toString(),
            "--key",
            "alert/pool-1",
            "--json",
            "--count",
            "1",
            "--timeout",
            "10s");
    assertThat(code).as(err.toString()).isZero();
    assertThat(lines()).containsExactly(alert("over tls", 1));
  }

  @Test
  void anUntrustedCertificateExits7WithAClearMessageAndNoStackTrace(@TempDir java.nio.file.Path dir)
      throws Exception {
    tlsRelay(dir);
    int code =
        run(
            "--url",
            "wss://localhost:" + relay.port() + "/listen",
            "--key",
            "alert/pool-1",
            "--json",
            "--timeout",
            "10s");
    assertThat(code).isEqualTo(ExitCodes.TLS_FAILED);
    assertThat(err.toString())
        .contains("certificate is not trusted")
        .contains("--ca")
        .doesNotContain("Exception")
        .doesNotContain("\tat ")
        .doesNotContain("reconnecting");
    assertThat(relay.connections()).isZero();
  }

  @Test
  void aCertificateForAnotherHostExits7NamingTheHost(@TempDir java.nio.file.Path dir)
      throws Exception {
    TestCertificates.Issued certificate =
        tlsRelay(TestCertificates.issue(dir, "elsewhere", "EC", "dns:relay.example"));
    int code =
        run(
            "--url",
            "wss://127.0.0.1:" + relay.port() + "/listen",
            "--ca",
            certificate.chain().toString(),
            "--key",
            "alert/pool-1",
            "--json",
            "--timeout",
            "10s");
    assertThat(code).isEqualTo(ExitCodes.TLS_FAILED);
    // Known at the first attempt, and said once: the same certificate would be refused again.
    assertThat(err.toString()).doesNotContain("reconnecting");
    assertThat(err.toString().split("not valid for 127.0.0.1", -1)).hasSize(2);
  }

  @Test
  void aTimeoutThatComesWhileTheTlsHandshakeWaitsEndsListenThen() throws Exception {
    // The handshake waits up to 10 s for the relay; --timeout must not wait for it, nor for a
    // close answer that a connection never opened cannot give (that took 1 s + 5 s).
    assertThat(listenToASilentServer(5, "--timeout", "1s")).isEqualTo(ExitCodes.TIMED_OUT);
    assertThat(err.toString()).contains("timed out");
  }

  @Test
  void aRelayThatNeverAnswersTheTlsHandshakeIsADroppedConnection() throws Exception {
    assertThat(listenToASilentServer(30, "--no-reconnect")).isEqualTo(ExitCodes.DISCONNECTED);
    assertThat(err.toString()).contains("the relay did not complete the TLS handshake within 10s");
  }

  @Test
  void aRelayThatTricklesItsTlsHandshakeCannotHoldListenPastTheBound() throws Exception {
    // A read timeout alone would never fire: each read gets a byte within it.
    try (ServerSocket slow = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Integer> listen =
          runInBackground(
              "--url",
              "wss://127.0.0.1:" + slow.getLocalPort() + "/",
              "--key",
              "alert/x",
              "--no-reconnect");
      try (Socket accepted = slow.accept()) {
        CompletableFuture<Void> trickle =
            CompletableFuture.runAsync(
                () -> {
                  try {
                    OutputStream out = accepted.getOutputStream();
                    out.write(new byte[] {0x16, 0x03, 0x03, 0x40, 0x00}); // a 16 KiB record
                    out.flush();
                    while (!listen.isDone()) {
                      out.write(0);
                      out.flush();
                      Thread.sleep(1_000);
                    }
                  } catch (IOException | InterruptedException e) {
                    // listen gave up and closed: what this waits for
                  }
                });
        assertThat(listen.get(30, TimeUnit.SECONDS)).isEqualTo(ExitCodes.DISCONNECTED);
        trickle.cancel(true);
      }
    }
    assertThat(err.toString()).contains("the relay did not complete the TLS handshake within 10s");
  }

  /**
   * listen on wss:// to a server that accepts the connection and never answers, with {@code args};
   * its exit status, which must come within {@code seconds}.
   */
  private int listenToASilentServer(int seconds, String... args) throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      List<String> all = new ArrayList<>();
      all.addAll(
          List.of("--url", "wss://127.0.0.1:" + silent.getLocalPort() + "/", "--key", "alert/x"));
      all.addAll(List.of(args));
      CompletableFuture<Integer> listen = runInBackground(all.toArray(String[]::new));
      try (Socket accepted = silent.accept()) {
        return listen.get(seconds, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void caWithAPlainUrlOrAMissingFileExits2(@TempDir java.nio.file.Path dir) {
    assertThat(run("--url", url(), "--ca", "ca.pem", "--key", "alert/pool-1"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--ca is for wss:// URLs");
    assertThat(
            run(
                "--url",
                "wss://localhost:1/",
                "--ca",
                dir.resolve("missing.pem").toString(),
                "--key",
                "alert/pool-1"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("missing.pem");
  }
}
