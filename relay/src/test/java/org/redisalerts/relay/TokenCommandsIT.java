package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestRedis;

/** relay token, check-token and revoke as the processes an operator runs (scripts/relay). */
class TokenCommandsIT {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final Path SCRIPT = Path.of("..", "scripts", "relay").toAbsolutePath().normalize();

  /** Exit status and standard output of {@code scripts/relay ARGS}, with {@code input} fed in. */
  private record Run(int status, String out, String err) {}

  private static Run relay(String input, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(SCRIPT.toString());
    command.addAll(List.of(args));
    Path err = java.nio.file.Files.createTempFile("relay-cmd-", ".err");
    Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
    if (input != null) {
      p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
    }
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out, java.nio.file.Files.readString(err));
  }

  @Test
  void mintCheckAndRevokeAsAnOperatorWould() throws Exception {
    Path keys = TestKeys.dir();
    String secret = TestKeys.secret(keys, 48).toString();

    Run minted =
        relay(
            null,
            "token",
            "--queue",
            "alert/acme-*",
            "--sub",
            "ops",
            "--jti",
            "cli-1",
            "--ttl",
            "10m",
            "--token-secret-file",
            secret);
    assertThat(minted.status()).as(minted.err()).isZero();
    String token = minted.out().trim();
    assertThat(minted.out())
        .as("only the token")
        .matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\n");

    Run valid =
        relay(token, "check-token", "-", "--token-secret-file", secret, "--key", "alert/acme-42");
    assertThat(valid.status()).as(valid.err()).isZero();
    assertThat(valid.out())
        .contains("\"sub\":\"ops\"")
        .contains("valid: accepted for alert/acme-42");

    Run notCovering =
        relay(token, "check-token", "-", "--token-secret-file", secret, "--key", "alert/other-1");
    assertThat(notCovering.status()).isEqualTo(1);
    assertThat(notCovering.out()).contains("NOT valid: token does not cover alert/other-1");

    Run wrongKey =
        relay(
            token, "check-token", "-", "--token-secret-file", TestKeys.secret(keys, 40).toString());
    assertThat(wrongKey.status()).isEqualTo(1);
    assertThat(wrongKey.out()).contains("bad signature");

    Run noKey = relay(null, "token", "--queue", "alert/x");
    assertThat(noKey.status()).isEqualTo(2);

    try (RelayProcess server =
        RelayProcess.start("--redis", redis.url(), "--token-secret-file", secret)) {
      RecordingClient client = RecordingClient.connect(server.uri());
      client.send(
          "{\"event\":\"identify\",\"queue\":\"alert/acme-42\",\"token\":\"" + token + "\"}");
      assertThat(client.nextText()).contains("you are now connected").contains("\"ttl\":");

      Run revoked = relay(null, "revoke", "--jti", "cli-1", "--for", "1h", "--redis", redis.url());
      assertThat(revoked.status()).as(revoked.err()).isZero();
      assertThat(revoked.err()).contains("revoked jti cli-1");
      assertThat(client.nextText()).contains("token revoked");
      assertThat(client.nextClose().code()).isEqualTo(4003);
      assertThat(server.output()).doesNotContain(token.split("\\.")[2]);
    }

    Run unreachable = relay(null, "revoke", "--sub", "ops", "--redis", "redis://127.0.0.1:1");
    assertThat(unreachable.status()).isEqualTo(1);
  }
}
