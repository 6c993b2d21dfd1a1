package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.testing.LogCapture;
import org.redisalerts.testing.RawClient;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.RecordingClient.Closed;
import org.redisalerts.testing.RecordingClient.Event;
import org.redisalerts.testing.RecordingClient.Text;
import org.redisalerts.testing.TestCertificates;
import org.redisalerts.testing.TestCertificates.Issued;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/** The relay serving {@code wss://}: delivery, certificates on disk and their renewal. */
class TlsTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();
  @RegisterExtension final LogCapture log = new LogCapture();

  @TempDir Path dir;

  private RelayServer relay;

  @AfterEach
  void stop() {
    if (relay != null) {
      relay.close();
    }
  }

  private RelayServer startTls(Issued certificate) throws Exception {
    relay = startRelay(redis, b -> b.tls(certificate.chain(), certificate.key()));
    return relay;
  }

  private URI wss() {
    return URI.create("wss://localhost:" + relay.port() + "/app");
  }

  /** The serial of the certificate a new TLS connection to the relay is shown. */
  private String servedSerial(SSLContext trust) throws Exception {
    try (SSLSocket socket =
        (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", relay.port())) {
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0])
          .getSerialNumber()
          .toString(16);
    }
  }

  private static String serial(Issued issued) {
    return issued.certificate().getSerialNumber().toString(16);
  }

  @Test
  void wssDeliversTheExactBytesPublished() throws Exception {
    Issued certificate = TestCertificates.issue(dir, "relay", "EC");
    startTls(certificate);
    RecordingClient client =
        RecordingClient.connect(wss(), certificate.trustingIt()).identifyAndAwaitReply("alert/t-1");
    List<String> alerts =
        List.of(
            "{\"event\":\"alert\",\"message\":\"Ünïcödé ✓ 🚨\",\"n\":12345678901234567890}",
            "{ \"event\" : \"alert\" , \"spaced\" : true }",
            "{\"event\":\"alert\",\"pad\":\"" + "y".repeat(60_000) + "\"}");
    new TestPublisher(redis).push("alert/t-1", alerts);
    assertThat(client.nextTexts(alerts.size())).containsExactlyElementsOf(alerts);
    assertThat(client.getSSLSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
    client.closeAndWait();
  }

  @Test
  void rsaCertificatesServeToo() throws Exception {
    Issued certificate = TestCertificates.issue(dir, "rsa", "RSA");
    startTls(certificate);
    RecordingClient client =
        RecordingClient.connect(wss(), certificate.trustingIt()).identifyAndAwaitReply("alert/t-2");
    new TestPublisher(redis).push("alert/t-2", List.of(alert("t", 1)));
    assertThat(client.nextText()).isEqualTo(alert("t", 1));
    client.closeAndWait();
  }

  @Test
  void aRenegotiationTheClientStartsIsRefused() throws Exception {
    // Each would cost the relay a full handshake, as often as one connection asks.
    Issued certificate = TestCertificates.issue(dir, "relay", "EC");
    startTls(certificate);
    try (SSLSocket socket =
        (SSLSocket)
            certificate.trustingIt().getSocketFactory().createSocket("127.0.0.1", relay.port())) {
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      socket.setSoTimeout(5_000);
      socket.startHandshake();
      socket.startHandshake(); // on TLS 1.2: a renegotiation
      assertThatThrownBy(() -> socket.getInputStream().read())
          .as("the relay ends the connection rather than renegotiate")
          .isInstanceOf(javax.net.ssl.SSLException.class);
    }
  }

  @Test
  void aTlsPortServesNoPlainWebSocket() throws Exception {
    startTls(TestCertificates.issue(dir, "relay", "EC"));
    try (RawClient plain = RawClient.connectTcp(relay.port())) {
      plain.sendRaw(
          ("GET /app HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      assertThat(plain.awaitEnd(Duration.ofSeconds(5))).as("closed without an upgrade").isTrue();
    }
    assertThat(log.text()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void aRenewedCertificateIsServedToNewConnectionsWithoutARestart() throws Exception {
    Issued first = TestCertificates.issue(dir, "relay", "EC");
    startTls(first);
    RecordingClient old =
        RecordingClient.connect(wss(), first.trustingIt()).identifyAndAwaitReply("alert/t-3");

    Path renewals = Files.createDirectory(dir.resolve("renewal"));
    Issued second = TestCertificates.issue(renewals, "relay", "EC");
    TestCertificates.writeAtomically(first.chain(), Files.readString(second.chain()));
    TestCertificates.writeAtomically(first.key(), Files.readString(second.key()));

    SSLContext trustBoth = TestCertificates.trusting(first.certificate(), second.certificate());
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> servedSerial(trustBoth), serial(second)::equals);
    assertThat(log.count("TLS certificate read again")).isEqualTo(1);

    // The connection made before the renewal goes on with its session.
    new TestPublisher(redis).push("alert/t-3", List.of(alert("t", 3)));
    assertThat(old.nextText()).isEqualTo(alert("t", 3));
    old.closeAndWait();
  }

  @Test
  void aRenewalThatCannotBeUsedKeepsTheCertificateInUse() throws Exception {
    Issued first = TestCertificates.issue(dir, "relay", "EC");
    startTls(first);
    Issued other = TestCertificates.issue(Files.createDirectory(dir.resolve("other")), "x", "EC");
    // Half a renewal: a new certificate with the old key.
    TestCertificates.writeAtomically(first.chain(), Files.readString(other.chain()));
    // The files are looked at when a connection arrives (at most once a second).
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              assertThat(servedSerial(first.trustingIt())).isEqualTo(serial(first));
              return log.count("TLS files changed but cannot be used") == 1;
            });
    assertThat(log.text()).contains("is not the private key of the first certificate");

    // The second half arrives: now it is used.
    TestCertificates.writeAtomically(first.key(), Files.readString(other.key()));
    SSLContext trustBoth = TestCertificates.trusting(first.certificate(), other.certificate());
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> servedSerial(trustBoth), serial(other)::equals);
  }

  @Test
  void aPkcs1KeyIsRefusedWithTheCommandThatConvertsIt() throws Exception {
    Issued rsa = TestCertificates.issue(dir, "relay", "RSA");
    Path pkcs1 = TestCertificates.writePkcs1(rsa, dir.resolve("relay-pkcs1.key"));
    assertThat(Files.readString(pkcs1)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThatThrownBy(() -> startRelay(redis, b -> b.tls(rsa.chain(), pkcs1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PKCS#1")
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt -in " + pkcs1);
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsRefusedAtStart() throws Exception {
    Issued one = TestCertificates.issue(dir, "one", "EC");
    Issued two = TestCertificates.issue(dir, "two", "EC");
    assertThatThrownBy(() -> startRelay(redis, b -> b.tls(one.chain(), two.key())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not the private key of the first certificate");
  }

  @Test
  void aClientClosingMidBatchOverWssLosesNothing() throws Exception {
    Issued certificate = TestCertificates.issue(dir, "relay", "EC");
    startTls(certificate);
    String key = "alert/t-midbatch";
    List<String> alerts = new ArrayList<>();
    String pad = "z".repeat(20_000);
    for (int i = 0; i < 400; i++) {
      alerts.add("{\"event\":\"alert\",\"seq\":" + i + ",\"pad\":\"" + pad + "\"}");
    }
    RecordingClient first =
        RecordingClient.connect(wss(), certificate.trustingIt()).identifyAndAwaitReply(key);
    new TestPublisher(redis).push(key, alerts);
    List<Long> before = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      before.add(seq(first.nextText()));
    }
    first.closeAndWait();
    while (true) { // what was already in the client's buffers when it closed
      Event event = first.next(RecordingClient.DEADLINE);
      if (event instanceof Text text) {
        before.add(seq(text.text()));
      } else if (event instanceof Closed) {
        break;
      }
    }

    // Delivered means handed on to the kernel for the open socket, under TLS as under TCP:
    // what the relay wrote before it read the client's close is trimmed (the client, closing,
    // may drop it), the rest stays at the head of the list, in order.
    // What was written before the close is trimmed by the key's next step, after the close.
    await().atMost(Duration.ofSeconds(10)).until(() -> relay.connections() == 0);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> redis.client().llen(key) == alerts.size() - relay.delivered());
    long delivered = relay.delivered();
    assertThat(before)
        .as("what the first client saw is a prefix")
        .isEqualTo(range(0, before.size()));
    assertThat(delivered).isGreaterThanOrEqualTo(before.size()).isLessThan(alerts.size());

    RecordingClient second =
        RecordingClient.connect(wss(), certificate.trustingIt()).identifyAndAwaitReply(key);
    assertThat(second.nextTexts(alerts.size() - (int) delivered))
        .containsExactlyElementsOf(alerts.subList((int) delivered, alerts.size()));
    second.closeAndWait();
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i < to; i++) {
      out.add(i);
    }
    return out;
  }

  private static final JsonCodec codec = new JsonCodec();

  private static long seq(String frame) throws Exception {
    return codec.readTree(frame).get("seq").asLong();
  }
}
