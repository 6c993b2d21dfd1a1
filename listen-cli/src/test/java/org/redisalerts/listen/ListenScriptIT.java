package org.redisalerts.listen;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.testing.TestCertificates;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/** The real {@code scripts/listen} launcher as a process: its stdout, byte for byte. */
class ListenScriptIT {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final Path SCRIPT =
      Path.of("..", "scripts", "listen").toAbsolutePath().normalize();

  private static RelayServer startRelay() throws Exception {
    return new RelayServer(RelayConfig.builder(redis.endpoint()).bind("127.0.0.1").port(0).build())
        .start();
  }

  /** scripts/listen on {@code relay}, with {@code args} after its --url. */
  private static ProcessBuilder listen(RelayServer relay, String... args) {
    return listen("ws://127.0.0.1:" + relay.port() + "/", args);
  }

  private static ProcessBuilder listen(String url, String... args) {
    List<String> command = new ArrayList<>();
    command.add(SCRIPT.toString());
    command.add("--url");
    command.add(url);
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  @Test
  void scriptPrintsEachFrameAsOneLineByteForByteWhateverTheLocale() throws Exception {
    List<String> alerts =
        List.of(
            "{\"event\":\"alert\",\"message\":\"\u00e9t\u00e9 \u6f22\u5b57 \ud83d\ude80\",\"big\":123456789012345678901234567890}",
            "{ \"event\":\"alert\" , \"message\" : \"spaced\" }");
    try (RelayServer relay = startRelay()) {
      new TestPublisher(redis).push("alert/pool-1", alerts);
      ProcessBuilder builder =
          listen(relay, "--key", "alert/pool-1", "--count", "2", "--timeout", "30s");
      builder.environment().put("LC_ALL", "C");
      builder.environment().put("LANG", "C");
      Process listen = builder.start();
      assertThat(listen.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String err = new String(listen.getErrorStream().readAllBytes(), UTF_8);
      assertThat(listen.exitValue()).as(err).isZero();
      byte[] stdout = listen.getInputStream().readAllBytes();
      assertThat(stdout).isEqualTo((alerts.get(0) + "\n" + alerts.get(1) + "\n").getBytes(UTF_8));
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.connections() == 0);
    }
  }

  /**
   * The stop path of Ctrl-C. Sent as SIGTERM, which listen handles the same way: a test run started
   * as a background job inherits SIGINT as ignored, and the JVM then keeps ignoring it, as shells
   * expect. Ctrl-C itself was checked by hand in tmux.
   */
  @Test
  void stopSignalClosesCleanlyAndExitsZero() throws Exception {
    try (RelayServer relay = startRelay()) {
      // Output to a file: destroy() closes the pipes of the process.
      Path log = Files.createTempFile("listen-", ".log");
      Process listen =
          listen(relay, "--key", "alert/pool-2")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      await().atMost(Duration.ofSeconds(60)).until(() -> relay.connections() == 1);
      listen.destroy(); // SIGTERM; the launcher exec'd the JVM, so it is the JVM's pid
      assertThat(listen.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(listen.exitValue()).as(Files.readString(log, UTF_8)).isZero();
      Files.deleteIfExists(log);
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.connections() == 0);
    }
  }

  /**
   * Run as a process, where the library's reading and writing threads used to race for the
   * handshake: the loser's "socket closed" came first nearly every time, so listen took the refused
   * certificate for a dropped connection and reconnected until --timeout.
   */
  @Test
  void aCertificateForAnotherHostExits7AtTheFirstAttempt(@TempDir Path dir) throws Exception {
    TestCertificates.Issued certificate =
        TestCertificates.issue(dir, "elsewhere", "EC", "dns:relay.example");
    RelayConfig config =
        RelayConfig.builder(redis.endpoint())
            .bind("127.0.0.1")
            .port(0)
            .tls(certificate.chain(), certificate.key())
            .build();
    try (RelayServer relay = new RelayServer(config).start()) {
      Process listen =
          listen(
                  "wss://127.0.0.1:" + relay.port() + "/",
                  "--ca",
                  certificate.chain().toString(),
                  "--key",
                  "alert/pool-3",
                  "--json",
                  "--timeout",
                  "30s")
              .start();
      assertThat(listen.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String err = new String(listen.getErrorStream().readAllBytes(), UTF_8);
      assertThat(listen.exitValue()).as(err).isEqualTo(7);
      assertThat(err).doesNotContain("reconnecting").contains("not valid for 127.0.0.1");
    }
  }
}
