package org.redisalerts.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/** docs/embedding.md's example is this module's own code, and it runs. */
class EmbeddedRelayTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  @Test
  void theDocumentShowsTheExampleAsItIsCompiled() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "embedding.md"));
    String source =
        Files.readString(Path.of("src/test/java/org/redisalerts/examples/EmbeddedRelay.java"));
    String body = source.substring(source.indexOf("public final class EmbeddedRelay"));
    assertThat(doc).contains(body.strip());
  }

  @Test
  void theExampleRelaysAndCallsItsHooks() throws Exception {
    LongAdder delivered = new LongAdder();
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    java.io.PrintStream original = System.out;
    System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
    try (RelayServer relay = EmbeddedRelay.start(redis.url(), 0, delivered)) {
      RecordingClient client =
          RecordingClient.connect(URI.create("ws://127.0.0.1:" + relay.port() + "/app"))
              .identifyAndAwaitReply("alert/acme-42");
      new TestPublisher(redis).push("alert/acme-42", TestPublisher.alert("hello", 1));
      assertThat(client.nextText()).isEqualTo(TestPublisher.alert("hello", 1));
      await().atMost(Duration.ofSeconds(5)).until(() -> delivered.sum() == 1);
      client.closeAndWait();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> printed.toString().contains("closed alert/acme-42 (0 left)"));
    } finally {
      System.setOut(original);
    }
    assertThat(printed.toString()).contains("ready alert/acme-42 (first)");
  }
}
