package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.testing.TestRedis;
import redis.clients.jedis.Jedis;

/**
 * A delivery round run on the watcher thread: its script and the watcher's next pop share one write
 * on the watcher's connection, and the replies stay in step, also when Redis has lost the script.
 */
class WatchPopTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final String WATCH = "watch-pop";

  @Test
  void aRoundBehindWhichThePopIsSentReadsItsBatchAndThePopThenReadsTheNextEntries() {
    RedisEndpoint endpoint = RedisEndpoint.parse(redis.url());
    try (Jedis publisher = endpoint.newConnection(5_000, "test-publisher");
        Jedis watcher = endpoint.newConnection(5_000, "test-watcher");
        DeliverySteps steps =
            new DeliverySteps(
                endpoint, new RelayKeys(WATCH), "relay:1", Duration.ofSeconds(10), "test-steps")) {
      WatchPop pop = new WatchPop(watcher.getConnection(), WATCH, 1.0, 100);
      publisher.rpush("alert/a", "one");
      publisher.rpush(WATCH, "alert/a");
      assertThat(pop.read()).containsExactly("alert/a");

      publisher.scriptFlush(); // the first round finds no script: it runs on the steps' connection
      for (int round = 0; round < 2; round++) {
        List<StepResult> results = steps.run(List.of(claim("alert/a")), 1 << 20, pop);
        assertThat(entries(results.get(0))).as("round %d", round).containsExactly("one");
        // The pop went out with the round's script: the watcher waits in it before reading.
        assertThat(lastCommand(publisher, "test-watcher")).as("round %d", round).isEqualTo("blpop");
        // Only the pop's replies follow: one entry, then up to a batch of more.
        publisher.rpush(WATCH, "alert/b", "alert/c", "alert/b");
        assertThat(pop.read()).as("round %d", round).containsExactly("alert/b", "alert/c");
      }
      assertThat(publisher.llen(WATCH)).isZero();
    }
  }

  private static String lastCommand(Jedis jedis, String clientName) {
    for (String line : jedis.clientList().split("\n")) {
      if (line.contains(" name=" + clientName + " ")) {
        return line.replaceAll(".* cmd=(\\S+).*", "$1").trim();
      }
    }
    throw new AssertionError("no client named " + clientName);
  }

  private static StepRequest claim(String key) {
    return new StepRequest(
        key, 0, null, null, 0, 0, List.of(), 10, 1 << 20, StepRequest.Presence.PLAIN);
  }

  private static List<String> entries(StepResult result) {
    return result.entries().stream().map(e -> new String(e, UTF_8)).toList();
  }
}
