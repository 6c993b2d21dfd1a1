package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.metric;
import static org.redisalerts.relay.RelayTesting.startRelay;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.java_websocket.WebSocket;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.DefaultSSLWebSocketServerFactory;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestCertificates;
import org.redisalerts.testing.TestCertificates.Issued;
import org.redisalerts.testing.TestRedis;

/**
 * A TCP client that connects to a {@code wss://} port and never completes its TLS handshake. In
 * Java-WebSocket's own server (1.6.0) it keeps the selector thread busy for as long as it stays
 * (upstream issue 896); the relay, which runs its own selector loop, spends nothing on it and
 * closes it at the handshake deadline.
 */
class TlsHandshakeDeadlineTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** How long the tests watch a silent client. */
  private static final Duration WATCH = Duration.ofMillis(1500);

  @TempDir Path dir;

  private RelayServer relay;

  @AfterEach
  void stop() {
    if (relay != null) {
      relay.close();
    }
  }

  /** The one live thread whose name starts with {@code prefix}. */
  private static Thread thread(String prefix) {
    Thread found = null;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith(prefix)) {
        assertThat(found).as("one thread named %s*", prefix).isNull();
        found = t;
      }
    }
    assertThat(found).as("a thread named %s*", prefix).isNotNull();
    return found;
  }

  private static long cpuNanos(Thread t) {
    return THREADS.getThreadCpuTime(t.getId());
  }

  /** Whether the server has not closed {@code socket}: nothing to read, no end of stream. */
  private static boolean stillOpen(Socket socket) throws IOException {
    socket.setSoTimeout(20);
    try {
      return socket.getInputStream().read() >= 0;
    } catch (SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static SSLContext serverContext(Issued issued) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry(
        "relay", issued.privateKey(), new char[0], new Certificate[] {issued.certificate()});
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }

  @Test
  void javaWebSocketsOwnTlsServerSpinsOnASilentClient() throws Exception {
    Issued certificate = TestCertificates.issue(dir, "lib", "EC");
    CountDownLatch started = new CountDownLatch(1);
    WebSocketServer server =
        new WebSocketServer(new InetSocketAddress("127.0.0.1", 0)) {
          @Override
          public void onOpen(WebSocket conn, ClientHandshake handshake) {}

          @Override
          public void onClose(WebSocket conn, int code, String reason, boolean remote) {}

          @Override
          public void onMessage(WebSocket conn, String message) {}

          @Override
          public void onMessage(WebSocket conn, ByteBuffer message) {}

          @Override
          public void onError(WebSocket conn, Exception ex) {}

          @Override
          public void onStart() {
            started.countDown();
          }
        };
    server.setWebSocketFactory(new DefaultSSLWebSocketServerFactory(serverContext(certificate)));
    server.start();
    try {
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      Thread selector = thread("WebSocketSelector-");
      try (Socket silent = new Socket("127.0.0.1", server.getPort())) {
        long before = cpuNanos(selector);
        await().during(WATCH).atMost(WATCH.multipliedBy(3)).until(() -> stillOpen(silent));
        long spent = cpuNanos(selector) - before;
        System.out.printf(
            "Java-WebSocket's TLS server, one silent client: selector thread used %d ms of CPU"
                + " in %d ms%n",
            spent / 1_000_000, WATCH.toMillis());
        assertThat(spent)
            .as("CPU of the library's selector thread while one client is silent (upstream #896)")
            .isGreaterThan(WATCH.toNanos() / 5);
      }
    } finally {
      server.stop(1000);
    }
  }

  @Test
  void theRelayClosesASilentTlsClientAtTheDeadlineWithoutSpendingCpuOnIt() throws Exception {
    Issued certificate = TestCertificates.issue(dir, "relay", "EC");
    relay =
        startRelay(
            redis, b -> b.tls(certificate.chain(), certificate.key()).handshakeTimeout(WATCH));
    Thread selector = thread("relay-selector");
    try (Socket silent = new Socket("127.0.0.1", relay.port());
        Socket partial = new Socket("127.0.0.1", relay.port())) {
      // The first bytes of a TLS record, then nothing.
      partial.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01});
      long before = cpuNanos(selector);
      await().atMost(WATCH.multipliedBy(4)).until(() -> !stillOpen(silent) && !stillOpen(partial));
      long spent = cpuNanos(selector) - before;
      System.out.printf(
          "relay, two silent TLS clients until the %d ms deadline: selector thread used %d ms of"
              + " CPU%n",
          WATCH.toMillis(), spent / 1_000_000);
      assertThat(spent).as("CPU of the relay's selector thread").isLessThan(WATCH.toNanos() / 10);
    }
    assertThat(metric(relay, "relay_refusals_total", "reason", "handshake_timeout")).isEqualTo(2);
  }

  @Test
  void silentTlsClientsHoldConnectionSlotsOnlyUntilTheDeadline() throws Exception {
    Issued certificate = TestCertificates.issue(dir, "relay", "EC");
    relay =
        startRelay(
            redis,
            b ->
                b.tls(certificate.chain(), certificate.key())
                    .maxConnections(2)
                    .handshakeTimeout(WATCH));
    URI uri = URI.create("wss://localhost:" + relay.port() + "/app");
    try (Socket one = new Socket("127.0.0.1", relay.port());
        Socket two = new Socket("127.0.0.1", relay.port())) {
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.openConnections() == 2);
      RecordingClient third = RecordingClient.connect(uri, certificate.trustingIt());
      assertThat(third.nextText()).contains("too many connections");
      assertThat(third.nextClose().code()).isEqualTo(CloseFrame.TRY_AGAIN_LATER);
      await().atMost(WATCH.multipliedBy(4)).until(() -> !stillOpen(one) && !stillOpen(two));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> relay.openConnections() == 0);
    RecordingClient welcome =
        RecordingClient.connect(uri, certificate.trustingIt()).identifyAndAwaitReply("alert/d-1");
    welcome.closeAndWait();
  }
}
