package org.redisalerts.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.redisalerts.bench.LoadSpec.PublishMode;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.relay.auth.TokenMinter;
import org.redisalerts.testing.TestCertificates;
import org.redisalerts.testing.TestRedis;

/**
 * The benchmark's variants against real relays on a real Redis: acknowledging clients, signed
 * identify tokens, wss://, and several relays on one watch list. Speed is not asserted.
 */
class BenchVariantsTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  @TempDir Path dir;

  private final List<RelayServer> relays = new ArrayList<>();

  @AfterEach
  void stop() {
    relays.forEach(RelayServer::close);
  }

  private RelayServer start(UnaryOperator<RelayConfig.Builder> settings) throws Exception {
    RelayServer relay =
        new RelayServer(
                settings
                    .apply(RelayConfig.builder(redis.endpoint()).bind("127.0.0.1").port(0))
                    .build())
            .start();
    relays.add(relay);
    return relay;
  }

  /** The relays of this test, in this JVM (so this process is their process). */
  private Target target(String scheme, javax.net.ssl.SSLContext tls) {
    List<URI> uris = new ArrayList<>();
    for (RelayServer relay : relays) {
      uris.add(URI.create(scheme + "://127.0.0.1:" + relay.port() + "/bench"));
    }
    return Target.external(uris, redis.url(), "watch", ProcessHandle.current().pid(), tls);
  }

  private static ClientOptions identifying(Identify identify) {
    return ClientOptions.defaults().withIdentify(identify);
  }

  private static LoadSpec spec(int keys, int alerts, int rate) {
    return new LoadSpec(
        keys,
        1,
        alerts,
        100,
        rate,
        PublishMode.INTERLEAVED,
        2,
        LoadSpec.PIPELINED,
        Duration.ofSeconds(30));
  }

  private static void assertComplete(BenchResult result, long deliveries) {
    assertThat(result.delivered()).as(result.toTable()).isEqualTo(deliveries);
    assertThat(result.missing()).isZero();
    assertThat(result.duplicates()).isZero();
    assertThat(result.outOfOrder()).isZero();
    assertThat(result.closedEarly()).isZero();
  }

  /** The value of one metric without labels, from the Prometheus text; -1 when absent. */
  private static double metric(RelayServer relay, String name) {
    for (String line : relay.metricsText().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    return -1;
  }

  private Path secret() throws Exception {
    Path file = dir.resolve("secret");
    Files.writeString(file, "a bench secret of more than thirty-two bytes\n", UTF_8);
    return file;
  }

  @Test
  void acknowledgingClientsGetEveryAlertThroughASmallAckWindow() throws Exception {
    // With a window of 5, a key gets its 6th alert only once its client acknowledged the first 5.
    RelayServer relay = start(b -> b.ackWindow(5).ackTimeout(Duration.ofSeconds(20)));
    BenchResult result =
        new LoadRun("ack", target("ws", null), spec(3, 60, 0), identifying(Identify.ACK), 20).run();
    assertComplete(result, 180);
    assertThat(metric(relay, "relay_acks_received_total")).isGreaterThanOrEqualTo(3 * 80 / 5);
  }

  @Test
  void acknowledgingKeepsWithinTheRelaysMessageBudget() throws Exception {
    // 300 alerts at 150/s, mostly one per batch: acking each would pass the relay's 20 messages a
    // second within a second, and the relay would close the client ("too many messages").
    start(b -> b.ackTimeout(Duration.ofSeconds(20)));
    BenchResult result =
        new LoadRun(
                "ack-paced", target("ws", null), spec(1, 300, 150), identifying(Identify.ACK), 0)
            .run();
    assertComplete(result, 300);
  }

  @Test
  void aPlainClientIsNotTakenForAnAcknowledgingOne() throws Exception {
    // An identify reply without "ack":true means the relay will not wait for acks: refused.
    StormRun.Result result =
        new StormRun(
                Target.external(
                    List.of(URI.create("ws://127.0.0.1:" + start(b -> b).port() + "/bench")),
                    redis.url(),
                    "watch",
                    null,
                    null),
                3,
                identifying(
                    new Identify() {
                      @Override
                      public String json(String key) {
                        return Identify.PLAIN.json(key);
                      }

                      @Override
                      public boolean acks() {
                        return true;
                      }
                    }),
                Duration.ofSeconds(30),
                Duration.ZERO)
            .run();
    assertThat(result.refused()).isEqualTo(3);
  }

  @Test
  void aStormWithTokensIdentifiesEveryClientWithItsOwnToken() throws Exception {
    Path secret = secret();
    start(b -> b.tokenSecretFile(secret));
    TokenMinter minter =
        TokenMinter.withSecret(
            org.redisalerts.relay.auth.VerificationKeys.readSecret(secret), null);
    StormRun.Result signed =
        new StormRun(
                target("ws", null),
                40,
                identifying(new SignedIdentify(minter, false)),
                Duration.ofSeconds(30),
                Duration.ZERO)
            .run();
    assertThat(signed.allIdentified()).as(signed.toTable()).isTrue();
    assertThat(signed.refused()).isZero();

    // The same relay refuses identifies without a token: the tokens above were checked.
    StormRun.Result plain =
        new StormRun(
                target("ws", null),
                5,
                identifying(Identify.PLAIN),
                Duration.ofSeconds(30),
                Duration.ZERO)
            .run();
    assertThat(plain.refused()).isEqualTo(5);
  }

  @Test
  void aTokenCoversItsOwnKeyOnly() throws Exception {
    Path secret = secret();
    start(b -> b.tokenSecretFile(secret));
    SignedIdentify signed =
        new SignedIdentify(
            TokenMinter.withSecret(
                org.redisalerts.relay.auth.VerificationKeys.readSecret(secret), null),
            false);
    Identify borrowed = key -> signed.json("alert/someone-else").replace("alert/someone-else", key);
    StormRun.Result result =
        new StormRun(
                target("ws", null), 2, identifying(borrowed), Duration.ofSeconds(30), Duration.ZERO)
            .run();
    assertThat(result.refused()).isEqualTo(2);
  }

  @Test
  void tokensAndAcksTogetherDeliverEverything() throws Exception {
    Path secret = secret();
    start(b -> b.tokenSecretFile(secret).ackWindow(10));
    SignedIdentify identify =
        new SignedIdentify(
            TokenMinter.withSecret(
                org.redisalerts.relay.auth.VerificationKeys.readSecret(secret), null),
            true);
    BenchResult result =
        new LoadRun("signed", target("ws", null), spec(4, 50, 0), identifying(identify), 0).run();
    assertComplete(result, 200);
  }

  @Test
  void wssRunTrustsTheRelaysCertificateAndDeliversEverything() throws Exception {
    TestCertificates.Issued certificate =
        TestCertificates.issue(dir, "relay", "EC", "ip:127.0.0.1");
    start(b -> b.tls(certificate.chain(), certificate.key()));
    BenchResult result =
        new LoadRun(
                "wss",
                target("wss", certificate.trustingIt()),
                spec(5, 400, 0),
                ClientOptions.defaults(),
                100)
            .run();
    // 2,000 alerts of 100 bytes: batches span several TLS records and reads.
    assertComplete(result, 2000);
  }

  @Test
  void wssRefusesARelayWhoseCertificateIsNotTrusted() throws Exception {
    TestCertificates.Issued certificate =
        TestCertificates.issue(dir, "relay", "EC", "ip:127.0.0.1");
    TestCertificates.Issued stranger =
        TestCertificates.issue(dir, "stranger", "EC", "ip:127.0.0.1");
    start(b -> b.tls(certificate.chain(), certificate.key()));
    StormRun.Result result =
        new StormRun(
                target("wss", stranger.trustingIt()),
                3,
                ClientOptions.defaults(),
                Duration.ofSeconds(30),
                Duration.ZERO)
            .run();
    assertThat(result.failedHandshakes()).isEqualTo(3);
    assertThat(result.identified()).isZero();
  }

  @Test
  void clientsSpreadOverSeveralRelaysGetEveryAlertOfTheirKey() throws Exception {
    RelayServer first = start(b -> b.relayId("bench-1"));
    RelayServer second = start(b -> b.relayId("bench-2"));
    // Keys 0, 2, 4 have their client on the first relay, 1, 3, 5 on the second; the watch entries
    // of
    // every key go to whichever relay pops them, which hands them to the key's holder.
    BenchResult result =
        new LoadRun("relays", target("ws", null), spec(6, 80, 0), ClientOptions.defaults(), 20)
            .run();
    assertComplete(result, 6 * 80);
    assertThat(metric(first, "relay_connections_accepted_total")).isEqualTo(3);
    assertThat(metric(second, "relay_connections_accepted_total")).isEqualTo(3);
    assertThat(metric(first, "relay_alerts_delivered_total")).isEqualTo(3 * 100);
    assertThat(metric(second, "relay_alerts_delivered_total")).isEqualTo(3 * 100);
  }
}
