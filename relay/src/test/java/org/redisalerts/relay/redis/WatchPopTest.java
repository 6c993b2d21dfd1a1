package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.testing.TestRedis;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * What shares the watcher's pop's write: a delivery round's script before it, or the delivery
 * script behind a wait for an entry, which steps keys, takes the entries and reads the keys they
 * name. The replies stay in step, also when Redis has lost the script or refuses the wait.
 */
class WatchPopTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final String WATCH = "watch-pop";
  private static final RelayKeys LEASES = new RelayKeys(WATCH);

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
  void aScriptSentWithThePopStepsItsKeysOnceAnEntryComesAndReadsTheOtherKeysThisRelayHolds() {
    loadScript();
    WatchPop pop = new WatchPop(watcher.getConnection(), WATCH, 1.0, 100);
    publisher.rpush("alert/d", "one");
    publisher.set(LEASES.lease("alert/held"), "relay:1");
    publisher.set(LEASES.lease("alert/other-relay"), "relay:2");
    Recorded script = sendWithPop(pop, false, claim("alert/d"));
    assertThat(pop.sent()).isTrue();

    // Pushed while the script waits: it steps alert/d after them, and reads alert/held.
    publisher.rpush("alert/d", "two");
    publisher.rpush("alert/held", "h1", "h2");
    publisher.rpush("alert/other-relay", "o1");
    publisher.rpush("alert/free", "f1");
    publisher.rpush(
        WATCH, "alert/held", "alert/d", "alert/other-relay", "alert/held", "alert/free");

    assertThat(pop.read())
        .as("every key named, each once")
        .containsExactly("alert/held", "alert/d", "alert/other-relay", "alert/free");
    assertThat(script.popped).as("handed on within the read").isNotNull();
    assertThat(script.failure).isNull();
    assertThat(entries(script.popped.stepped().get(0))).containsExactly("one", "two");
    assertThat(script.popped.entries()).isEqualTo(5);
    assertThat(script.popped.read()).hasSize(1);
    StepResult held = script.popped.read().get(0);
    assertThat(held.key()).isEqualTo("alert/held");
    assertThat(held.status()).isEqualTo(StepResult.Status.DONE);
    assertThat(entries(held)).containsExactly("h1", "h2");
    assertThat(publisher.llen(WATCH)).as("every entry taken").isZero();
    assertThat(publisher.lrange("alert/held", 0, -1)).as("nothing trimmed").hasSize(2);
    assertThat(publisher.get(LEASES.lease("alert/free"))).as("no lease taken").isNull();
    assertThat(publisher.pttl(LEASES.lease("alert/held"))).as("the lease renewed").isPositive();
  }

  @Test
  void entriesThatNameMoreKeysThanTheScriptMayReadAreAllHandedOnAndNoneIsRead() {
    // A burst: each key's own step, a moment later, reads more of its alerts in one go.
    loadScript();
    WatchPop pop = new WatchPop(watcher.getConnection(), WATCH, 1.0, 100);
    List<String> keys = List.of("alert/burst-1", "alert/burst-2", "alert/burst-3");
    for (String key : keys) {
      publisher.set(LEASES.lease(key), "relay:1");
      publisher.rpush(key, "one");
      publisher.rpush(WATCH, key);
    }
    Recorded script = new Recorded();
    steps.sendWithPop(
        List.of(),
        1 << 20,
        new DeliverySteps.PopLimits(100, 10, 2, 1000, 2, 1 << 20),
        pop,
        0,
        false,
        script);

    assertThat(pop.read()).containsExactlyElementsOf(keys);
    assertThat(script.popped.read()).as("3 keys named, 2 may be read").isEmpty();
  }

  @Test
  void anEntryLargerThanAReadMayHoldComesBackAsAMarkerAndTheBudgetStopsTheReadsAfterIt() {
    // The reads with the pop are bounded as steps are: one huge alert never reaches the relay's
    // heap whole, and the bytes of all the reads together stay within the script's budget.
    loadScript();
    WatchPop pop = new WatchPop(watcher.getConnection(), WATCH, 1.0, 100);
    String huge = "x".repeat(4096);
    publisher.set(LEASES.lease("alert/huge"), "relay:1");
    publisher.rpush("alert/huge", huge, "after");
    publisher.set(LEASES.lease("alert/later"), "relay:1");
    publisher.rpush("alert/later", "y".repeat(700));
    publisher.set(LEASES.lease("alert/last"), "relay:1");
    publisher.rpush("alert/last", "z");
    publisher.rpush(WATCH, "alert/huge", "alert/later", "alert/last");
    Recorded script = new Recorded();
    steps.sendWithPop(
        List.of(),
        1000,
        new DeliverySteps.PopLimits(100, 10, 2, 1000, 100, 1024),
        pop,
        0,
        false,
        script);

    assertThat(pop.read()).as("every key named").contains("alert/last");
    List<StepResult> read = script.popped.read();
    assertThat(entries(read.get(0))).hasSize(2).last().isEqualTo("after");
    assertThat(entries(read.get(0)).get(0)).startsWith("\0oversized 4096 ");
    assertThat(entries(read.get(1))).as("the first of a list is always read").hasSize(1);
    assertThat(read).as("past the budget of 1,000 bytes, alert/last is not read").hasSize(2);
    assertThat(publisher.llen("alert/huge")).as("nothing trimmed").isEqualTo(2);
  }

  @Test
  void aScriptRedisLostIsReportedTakesNothingAndIsSentWholeTheNextTime() {
    publisher.scriptFlush();
    WatchPop pop = new WatchPop(watcher.getConnection(), WATCH, 1.0, 100);
    Recorded lost = sendWithPop(pop, false, claim("alert/e"));
    publisher.rpush(WATCH, "alert/e");
    assertThat(pop.read()).isEmpty();
    assertThat(lost.failure).isInstanceOf(JedisNoScriptException.class);
    assertThat(lost.popped).isNull();
    assertThat(publisher.llen(WATCH)).as("the entry waits for the next pop").isEqualTo(1);

    Recorded whole = sendWithPop(pop, true);
    assertThat(pop.read()).as("the next pop's replies").containsExactly("alert/e");
    assertThat(whole.failure).isNull();
  }

  @Test
  void anErrorReplyToTheWaitStillHandsOnWhatTheScriptBehindItTook() {
    loadScript();
    WatchPop pop = new WatchPop(watcher.getConnection(), WATCH, 5.0, 100);
    publisher.rpush("alert/g", "one");
    Recorded script = sendWithPop(pop, false, claim("alert/g"));
    CompletableFuture<Set<String>> read = CompletableFuture.supplyAsync(pop::read);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> lastCommand(publisher, "test-watcher").equals("blmove"));
    // The push and the unblock at once: the wait ends with the error, then the script takes it.
    String watcherId = Long.toString(clientId(publisher, "test-watcher"));
    publisher.sendCommand(Protocol.Command.MULTI);
    publisher.sendCommand(Protocol.Command.RPUSH, WATCH, "alert/h");
    publisher.sendCommand(Protocol.Command.CLIENT, "UNBLOCK", watcherId, "ERROR");
    publisher.sendCommand(Protocol.Command.EXEC);

    assertThat(read.join()).containsExactly("alert/h");
    assertThat(pop.waitRefused()).isNotNull();
    assertThat(script.failure).isNull();
    assertThat(entries(script.popped.stepped().get(0)))
        .as("what the step read")
        .containsExactly("one");
  }

  @Test
  void aPopRedisRefusesIsThrownAfterTheStepsSentWithItAreHandedOn() {
    loadScript();
    publisher.set(WATCH, "not a list");
    try {
      WatchPop pop = new WatchPop(watcher.getConnection(), WATCH, 1.0, 100);
      publisher.rpush("alert/i", "one");
      Recorded script = sendWithPop(pop, false, claim("alert/i"));
      assertThatThrownBy(pop::read)
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("WRONGTYPE");
      assertThat(entries(script.popped.stepped().get(0))).containsExactly("one");
    } finally {
      publisher.del(WATCH);
    }
  }

  private void loadScript() {
    steps.run(List.of(claim("alert/other")), 1 << 20);
  }

  /** Sends the pop with the script (which waits up to 5 s for an entry), stepping {@code step}. */
  private Recorded sendWithPop(WatchPop pop, boolean whole, StepRequest... step) {
    Recorded script = new Recorded();
    steps.sendWithPop(
        List.of(step),
        1 << 20,
        new DeliverySteps.PopLimits(100, 10, 2, 1000, 100, 1 << 20),
        pop,
        step.length > 0 ? 5.0 : 0,
        whole,
        script);
    return script;
  }

  private static long clientId(Jedis jedis, String clientName) {
    for (String line : jedis.clientList().split("\n")) {
      if (line.contains(" name=" + clientName + " ")) {
        return Long.parseLong(line.substring(3, line.indexOf(' ')));
      }
    }
    throw new AssertionError("no client named " + clientName);
  }

  /** What the script sent with the pop was told. */
  private static final class Recorded implements DeliverySteps.PopReply {
    DeliverySteps.Popped popped;
    JedisException failure;

    @Override
    public Set<String> ran(DeliverySteps.Popped popped) {
      this.popped = popped;
      return Set.of();
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
        key, 0, null, null, 0, 0, List.of(), 10, 1 << 20, StepRequest.Presence.PLAIN, 1, 0, false);
  }

  private static List<String> entries(StepResult result) {
    return result.entries().stream().map(e -> new String(e, UTF_8)).toList();
  }
}
