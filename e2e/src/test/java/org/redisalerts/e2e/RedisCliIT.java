package org.redisalerts.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.testing.TestRedis;

/** The original's publishing convention with the real redis-cli, received by the real listen. */
class RedisCliIT {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final File REDIS_CLI = new File("/usr/bin/redis-cli");

  private static String run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = new String(process.getInputStream().readAllBytes(), UTF_8);
    assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
    return output;
  }

  @Test
  void twoRpushesWithRedisCliReachListen() throws Exception {
    if (!REDIS_CLI.canExecute()) {
      System.out.println(
          "RedisCliIT skipped: redis-cli is not installed (apt-get install redis-tools; .ci/run does)");
    }
    Assumptions.assumeTrue(REDIS_CLI.canExecute(), "redis-cli is not installed");
    String port = Integer.toString(redis.port());
    String alert =
        "{\"event\":\"alert\",\"message\":\"From redis-cli \u00e9\",\"propY\":123,"
            + "\"recordedOn\":\"2026-11-26T10:00:00.000Z\"}";
    try (RelayServer relay =
        new RelayServer(RelayConfig.builder(redis.endpoint()).bind("127.0.0.1").port(0).build())
            .start()) {
      run(REDIS_CLI.getPath(), "-h", "127.0.0.1", "-p", port, "RPUSH", "alert/cli-7", alert);
      run(REDIS_CLI.getPath(), "-h", "127.0.0.1", "-p", port, "RPUSH", "watch", "alert/cli-7");

      Path listen = Path.of("..", "scripts", "listen").toAbsolutePath().normalize();
      Process process =
          new ProcessBuilder(
                  listen.toString(),
                  "--url",
                  "ws://127.0.0.1:" + relay.port() + "/",
                  "--key",
                  "alert/cli-7",
                  "--count",
                  "1",
                  "--timeout",
                  "30s",
                  "--json")
              .start();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String stderr = new String(process.getErrorStream().readAllBytes(), UTF_8);
      assertThat(process.exitValue()).as(stderr).isZero();
      assertThat(new String(process.getInputStream().readAllBytes(), UTF_8))
          .isEqualTo(alert + "\n");
      System.out.println(
          "RedisCliIT: 1 alert pushed with two redis-cli RPUSH commands, received by listen");
    }
  }
}
