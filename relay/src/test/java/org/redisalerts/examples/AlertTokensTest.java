package org.redisalerts.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.Tokens;

/** docs/tokens.md's Java example is this module's own code, and a relay accepts its tokens. */
class AlertTokensTest {

  @TempDir Path dir;

  @Test
  void theDocumentShowsTheExampleAsItIsCompiled() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "tokens.md"));
    String source =
        Files.readString(Path.of("src/test/java/org/redisalerts/examples/AlertTokens.java"));
    String body = source.substring(source.indexOf("public final class AlertTokens"));
    assertThat(doc).contains(body.strip());
  }

  @Test
  void aRelayWithTheSameSecretFileAcceptsItsTokensForTheKeyAlone() throws Exception {
    // A base64 secret with the newline an editor or `echo` leaves: both sides must drop it.
    Path secret =
        Files.writeString(
            dir.resolve("token-secret"),
            "q3J8vN0yXkz5Lr2Wc7Tg1Hf6Ds9Pa4Me0Ub8Yi3Ko5Qx7Zn2Vj6Rt1\n");
    String token = new AlertTokens(secret).mint("user-42", "alert/acme-42", Duration.ofMinutes(10));
    RelayConfig relay =
        RelayConfig.builder(RedisEndpoint.parse("redis://127.0.0.1:6379"))
            .tokenSecretFile(secret)
            .build();

    Tokens.Check check = Tokens.check(token, relay, "alert/acme-42", Instant.now());
    assertThat(check.accepted()).as(check.verdict()).isTrue();
    assertThat(check.verdict()).matches("accepted for alert/acme-42, (599|600) s left");
    assertThat(check.claims()).contains("\"sub\":\"user-42\"").contains("\"jti\":");

    Tokens.Check other = Tokens.check(token, relay, "alert/acme-43", Instant.now());
    assertThat(other.accepted()).isFalse();
    assertThat(other.closeCode()).isEqualTo(4003);
    assertThat(other.verdict()).isEqualTo("token does not cover alert/acme-43");
  }
}
