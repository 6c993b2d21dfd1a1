package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.testing.TestRedis;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.UnblockType;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * What shares the watcher's pop's write: a delivery round's script before it, and a step behind it
 * that runs once an entry comes. The replies stay in step, also when Redis has lost the script.
 */
class WatchPopTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final String WATCH = "watch-pop";

  private Jedis publisher;
  private Jedis watcher;
  private DeliverySteps steps;

  @BeforeEach
  void connect() {
    RedisEndpoint endpoint = RedisEndpoint.parse(redis.url());
    publisher = endpoint.newConnection(5_000, "test-publisher");
    watcher = endpoint.newConnection(5_000, "test-watcher");
    steps =
        new DeliverySteps(
            endpoint, new RelayKeys(WATCH), "relay:1", Duration.ofSeconds(10), "test-steps");
  }

  @AfterEach
  void disconnect() {
    steps.close();
    watcher.close();
    publisher.close();
  }

  @Test
  void aRoundBehindWhichThePopIsSentReadsItsBatchAndThePopThenReadsTheNextEntries() {
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

  @Test
  void aStepSentBehindThePopRunsOnceAnEntryComesAndItsResultIsHandedOnBeforeTheKeys() {
    loadScript();
    WatchPop pop = new WatchPop(watcher.getConnection(), WATCH, 1.0, 100);
    publisher.rpush("alert/d", "one");
    Recorded step = stepBehind(pop, "alert/d");
    assertThat(pop.sent()).isTrue();

    publisher.rpush("alert/d", "two"); // pushed while the step waits: it reads both
    publisher.rpush(WATCH, "alert/d");
    assertThat(pop.read()).containsExactly("alert/d");
    assertThat(step.result).as("handed on within the read").isNotNull();
    assertThat(entries(step.result)).containsExactly("one", "two");
    assertThat(step.failure).isNull();
  }

  @Test
  void aStepBehindThePopThatRedisCannotRunIsReportedAndThePopsRepliesStayInStep() {
    publisher.scriptFlush();
    WatchPop pop = new WatchPop(watcher.getConnection(), WATCH, 1.0, 100);
    Recorded step = stepBehind(pop, "alert/e");
    publisher.rpush(WATCH, "alert/e");
    assertThat(pop.read()).containsExactly("alert/e");
    assertThat(step.failure).isInstanceOf(JedisNoScriptException.class);
    assertThat(step.result).isNull();

    publisher.rpush(WATCH, "alert/f");
    assertThat(pop.read()).as("the next pop's replies").containsExactly("alert/f");
  }

  @Test
  void anErrorReplyToThePopStillHandsOnTheResultOfTheStepRedisRanBehindIt() {
    loadScript();
    WatchPop pop = new WatchPop(watcher.getConnection(), WATCH, 5.0, 100);
    publisher.rpush("alert/g", "one");
    Recorded step = stepBehind(pop, "alert/g");
    CompletableFuture<Set<String>> read = CompletableFuture.supplyAsync(pop::read);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> lastCommand(publisher, "test-watcher").equals("blpop"));
    publisher.clientUnblock(clientId(publisher, "test-watcher"), UnblockType.ERROR);

    assertThatThrownBy(() -> read.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(JedisDataException.class);
    assertThat(step.failure).isNull();
    assertThat(entries(step.result)).as("what the step read").containsExactly("one");
  }

  private void loadScript() {
    steps.run(List.of(claim("alert/other")), 1 << 20);
  }

  /** Sends a step of {@code key} behind {@code pop} (which then waits up to 5 s for an entry). */
  private Recorded stepBehind(WatchPop pop, String key) {
    Recorded step = new Recorded();
    steps.sendBehind(claim(key), 1 << 20, pop, 5.0, step);
    return step;
  }

  private static long clientId(Jedis jedis, String clientName) {
    for (String line : jedis.clientList().split("\n")) {
      if (line.contains(" name=" + clientName + " ")) {
        return Long.parseLong(line.substring(3, line.indexOf(' ')));
      }
    }
    throw new AssertionError("no client named " + clientName);
  }

  /** What a step behind the pop was told. */
  private static final class Recorded implements StepBehind {
    StepResult result;
    JedisException failure;

    @Override
    public void ran(StepResult result) {
      this.result = result;
    }

    @Override
    public void failed(JedisException e) {
      this.failure = e;
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
