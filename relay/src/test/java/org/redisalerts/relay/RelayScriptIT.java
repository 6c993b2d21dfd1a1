package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.java_websocket.framing.CloseFrame;
import org.junit.jupiter.api.Test;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import redis.clients.jedis.RedisClient;

/**
 * The README's first command, for real: {@code scripts/relay --embedded-redis} as a process from
 * the packaged jar, an alert published to the bundled Redis and received, SIGTERM.
 */
class RelayScriptIT {

  private static final Pattern READY = Pattern.compile("relay ready on ws://[^:]+:(\\d+)/");

  @Test
  void scriptRunsTheRelayOnTheBundledRedis() throws Exception {
    Path script = Path.of("..", "scripts", "relay").toAbsolutePath().normalize();
    Path log = Files.createTempFile("relay-script-", ".log");
    Process relay = null;
    int redisPort = 0;
    for (int attempt = 0; attempt < 5 && relay == null; attempt++) {
      redisPort = ThreadLocalRandom.current().nextInt(20_000, 60_000);
      Process candidate =
          new ProcessBuilder(
                  script.toString(),
                  "--embedded-redis",
                  "--redis",
                  "redis://127.0.0.1:" + redisPort,
                  "--bind",
                  "127.0.0.1",
                  "--port",
                  "0")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> !candidate.isAlive() || READY.matcher(read(log)).find());
      if (candidate.isAlive()) {
        relay = candidate;
      } // else the Redis port was taken: try another
    }
    assertThat(relay).as("relay started\n%s", read(log)).isNotNull();
    try {
      check(relay, log, redisPort);
    } finally {
      if (relay.isAlive()) {
        relay.destroy(); // SIGTERM, so the bundled Redis stops with it
        if (!relay.waitFor(30, TimeUnit.SECONDS)) {
          relay.destroyForcibly();
        }
      }
    }
  }

  private static void check(Process relay, Path log, int redisPort) throws Exception {
    Matcher m = READY.matcher(read(log));
    assertThat(m.find()).isTrue();
    int port = Integer.parseInt(m.group(1));

    // The script exec'ed the JVM: the process is java, started so that running out of memory
    // ends it, with a heap limit fitted to the default 10,000 connections.
    String command;
    try (var in = Files.newInputStream(Path.of("/proc/" + relay.pid() + "/cmdline"))) {
      command = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace('\0', ' ');
    }
    assertThat(command).contains("-XX:+ExitOnOutOfMemoryError").contains("-Xmx405m");

    RecordingClient client =
        RecordingClient.connect(URI.create("ws://127.0.0.1:" + port + "/myapp"))
            .identifyAndAwaitReply("alert/demo-1");
    try (RedisClient redis =
        RedisEndpoint.parse("redis://127.0.0.1:" + redisPort).newClient(5_000, "it")) {
      new TestPublisher(redis, "watch").push("alert/demo-1", TestPublisher.alert("hello", 1));
    }
    assertThat(client.nextText()).isEqualTo(TestPublisher.alert("hello", 1));

    relay.destroy();
    assertThat(relay.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(relay.exitValue()).as("exit status\n%s", read(log)).isZero();
    assertThat(client.nextClose().code()).isEqualTo(CloseFrame.GOING_AWAY);
    assertThat(read(log)).contains("bundled Redis stopped");
  }

  private static String read(Path log) throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }
}
