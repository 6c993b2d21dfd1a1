package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.testing.TestPublisher.alert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/** SPEC 3, Redis outages: the relay (a real process) survives Redis restarting mid-stream. */
class RedisRestartTest {

  @RegisterExtension static final TestRedis redis = TestRedis.persistent();

  private static final String KEY = "alert/pool-restart";
  private static final int TOTAL = 6000;
  private static final int CHUNK = 100;

  /**
   * Pushes every alert, retrying a chunk while Redis is away (a retried chunk may duplicate). Each
   * try takes the current client: a restart replaces it.
   */
  private static void publishAll() {
    for (int start = 0; start < TOTAL; start += CHUNK) {
      List<String> chunk = new ArrayList<>();
      for (int i = start; i < start + CHUNK; i++) {
        chunk.add(alert("restart", i));
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(50))
          .ignoreExceptions()
          .until(
              () -> {
                new TestPublisher(redis).push(KEY, chunk);
                return true;
              });
    }
  }

  /** The sequence numbers not seen, as ranges. */
  private static String missing(BitSet seen) {
    StringBuilder out = new StringBuilder();
    int from = seen.nextClearBit(0);
    while (from < TOTAL) {
      int to = Math.min(TOTAL, seen.nextSetBit(from) < 0 ? TOTAL : seen.nextSetBit(from));
      out.append(out.length() == 0 ? "" : ",").append(from).append("..").append(to - 1);
      from = seen.nextClearBit(to);
    }
    return out.toString();
  }

  @Test
  void redisRestartMidStreamLosesNothingAndKeepsClientsConnected() throws Exception {
    JsonCodec codec = new JsonCodec();
    try (RelayProcess relay = RelayProcess.start("--redis", redis.url())) {
      RecordingClient client = RecordingClient.connect(relay.uri()).identifyAndAwaitReply(KEY);
      CompletableFuture<Void> publishing = CompletableFuture.runAsync(RedisRestartTest::publishAll);

      BitSet seen = new BitSet(TOTAL);
      int received = 0;
      while (received < 1000) {
        seen.set(codec.readTree(client.nextText()).get("seq").asInt());
        received++;
      }
      redis.stop();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> relay.output().contains("redis unreachable"));
      redis.start();

      // nextText fails on a close: the client must stay connected throughout.
      try {
        while (seen.cardinality() < TOTAL) {
          seen.set(codec.readTree(client.nextText()).get("seq").asInt());
          received++;
        }
      } catch (AssertionError e) {
        String state =
            "llen="
                + redis.client().llen(KEY)
                + " watch="
                + redis.client().llen("watch")
                + " publishing done="
                + publishing.isDone()
                + (publishing.isCompletedExceptionally()
                    ? " (failed: " + publishing.handle((v, t) -> String.valueOf(t)).join() + ")"
                    : "")
                + " missing="
                + missing(seen)
                + " ";
        throw new AssertionError(
            state
                + e.getMessage()
                + " after "
                + received
                + " alerts ("
                + seen.cardinality()
                + " distinct); relay log:\n"
                + relay.output(),
            e);
      }
      publishing.get();
      client.closeAndWait();

      String log = relay.output();
      assertThat(log.split("redis unreachable", -1)).as("the loss is logged once").hasSize(2);
      assertThat(log.split("redis reachable at", -1)).as("start and recovery").hasSize(3);
      System.out.printf(
          "Redis restart test: %d alerts published, %d received (%d duplicates), client stayed connected%n",
          TOTAL, received, received - TOTAL);
    }
  }
}
