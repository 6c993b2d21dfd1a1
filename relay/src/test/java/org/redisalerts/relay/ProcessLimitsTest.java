package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.java_websocket.framing.CloseFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.StalledClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/** The relay as a real process under a client that stops reading, and at its connection limit. */
class ProcessLimitsTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static List<String> alerts(String tag, int n, int padding) {
    String pad = "p".repeat(padding);
    List<String> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(
          "{\"event\":\"alert\",\"tag\":\""
              + tag
              + "\",\"seq\":"
              + i
              + ",\"pad\":\""
              + pad
              + "\"}");
    }
    return list;
  }

  @Test
  void aClientThatStopsReadingCostsOthersNothingAndIsClosed() throws Exception {
    try (RelayProcess relay =
            RelayProcess.start("--redis", redis.url(), "--write-timeout", "1500ms");
        StalledClient stuck = StalledClient.identify(relay.uri().getPort(), "alert/pool-a")) {
      RecordingClient sibling =
          RecordingClient.connect(relay.uri()).identifyAndAwaitReply("alert/pool-a");
      RecordingClient other =
          RecordingClient.connect(relay.uri()).identifyAndAwaitReply("alert/pool-b");
      List<String> toA = alerts("a", 3000, 4000);
      List<String> toB = alerts("b", 2000, 10);
      TestPublisher publisher = new TestPublisher(redis);
      CompletableFuture<Void> pushA =
          CompletableFuture.runAsync(() -> publisher.push("alert/pool-a", toA));
      CompletableFuture<Void> pushB =
          CompletableFuture.runAsync(() -> publisher.push("alert/pool-b", toB));

      assertThat(other.nextTexts(toB.size())).containsExactlyElementsOf(toB);
      assertThat(sibling.nextTexts(toA.size())).containsExactlyElementsOf(toA);
      pushA.get();
      pushB.get();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> relay.output().contains("client too slow"));
      assertThat(stuck.drainUntilClosed(Duration.ofSeconds(10)))
          .as("the stalled client was closed")
          .isTrue();
      assertThat(relay.output()).contains("code=1008 reason=\"too slow");
      System.out.printf(
          "stalled client (process): %d alerts of 4 KB to its key, all %d received by its sibling;"
              + " %d to another key, all %d received%n",
          toA.size(), toA.size(), toB.size(), toB.size());
      sibling.closeAndWait();
      other.closeAndWait();
    }
  }

  @Test
  void connectionsBeyondTheLimitAreRefused() throws Exception {
    try (RelayProcess relay =
        RelayProcess.start("--redis", redis.url(), "--max-connections", "3")) {
      List<RecordingClient> clients = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        clients.add(RecordingClient.connect(relay.uri()).identifyAndAwaitReply("alert/pool-" + i));
      }
      RecordingClient fourth = RecordingClient.connect(relay.uri());
      assertThat(fourth.nextText()).contains("too many connections");
      assertThat(fourth.nextClose().code()).isEqualTo(CloseFrame.TRY_AGAIN_LATER);
      new TestPublisher(redis).push("alert/pool-0", TestPublisher.alert("still served", 1));
      assertThat(clients.get(0).nextText()).isEqualTo(TestPublisher.alert("still served", 1));
      clients.forEach(RecordingClient::closeAndWait);
    }
  }
}
