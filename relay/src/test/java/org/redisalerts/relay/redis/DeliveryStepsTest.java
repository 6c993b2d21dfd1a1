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

/** deliver.lua's steps of several lists in one call, on a real Redis. */
class DeliveryStepsTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final String TOKEN = "relay:1";

  /** A pump's count past where Lua would write it with an exponent. */
  private static final long BIG = 1_000_000_000_000_000L;

  @Test
  void aListWhoseStepRedisRefusesHoldsBackOnlyItselfNotTheListsStepsBeforeIt() {
    // A round steps many lists in one script. A step that stopped the script with an error (here
    // the dead-letter list holds a string) left the lists before it trimmed while the relay counted
    // the whole round failed and sent their steps again: a head check that cannot tell identical
    // alerts apart then trimmed alerts pushed meanwhile, unread.
    RelayKeys keys = new RelayKeys("watch-steps");
    redis.client().rpush("alert/same", "x", "x");
    redis.client().rpush("alert/bad", "not json");
    redis.client().set(keys.lease("alert/same"), TOKEN);
    redis.client().set(keys.lease("alert/bad"), TOKEN);
    redis.client().set(keys.deadLetters(), "not a list");
    byte[] x = "x".getBytes(UTF_8);
    byte[] bad = "not json".getBytes(UTF_8);
    StepRequest finishSame =
        new StepRequest("alert/same", 2, x, x, 2, 0, List.of(), 10, 1 << 20, null, 1, 0, true);
    StepRequest finishBad = finishingWithDeadLetter("alert/bad", bad, "{\"dead\":1}", 2);
    try (DeliverySteps steps =
        new DeliverySteps(
            RedisEndpoint.parse(redis.url()), keys, TOKEN, Duration.ofSeconds(10), "test-steps")) {
      List<StepResult> results = steps.run(List.of(finishSame, finishBad), 1 << 20);

      assertThat(results.get(0).status()).isEqualTo(StepResult.Status.DONE);
      assertThat(results.get(1).status()).isEqualTo(StepResult.Status.FAILED);
      assertThat(results.get(1).error()).contains("WRONGTYPE");
    }
    assertThat(redis.client().llen("alert/same")).as("finished, trimmed").isZero();
    assertThat(redis.client().lrange("alert/bad", 0, -1))
        .as("its dead letter not written: kept for the retry")
        .containsExactly("not json");
  }

  @Test
  void aStepSentAgainAfterItsReplyWasLostTrimsNothingMoreThoughTheAlertsAreIdentical() {
    // Redis ran the step and its connection was cut before the reply went out: the relay sends the
    // same step again. The head now starts with the next alerts, and identical alerts pass the
    // head check, so without the mark the step trimmed them too, unread.
    RelayKeys keys = new RelayKeys("watch-lost-reply");
    redis.client().rpush("alert/same", "x", "x", "x", "x", "x");
    byte[] x = "x".getBytes(UTF_8);
    try (DeliverySteps steps = steps(keys);
        Leases leases = new Leases(endpoint(), keys, TOKEN, Duration.ofSeconds(10))) {
      StepResult read =
          steps.run(List.of(step("alert/same", 0, null, null, 0, 0, 7, 0)), 1 << 20).get(0);
      assertThat(read.acquired()).isTrue();
      assertThat(read.entries()).hasSize(2);

      StepRequest finish = step("alert/same", 2, x, x, 2, 0, 7, 0);
      StepResult first = steps.run(List.of(finish), 1 << 20).get(0);
      StepResult again = steps.run(List.of(finish), 1 << 20).get(0);

      assertThat(first.status()).isEqualTo(StepResult.Status.DONE);
      assertThat(first.entries()).hasSize(2);
      assertThat(again.status()).isEqualTo(StepResult.Status.DONE);
      assertThat(again.entries()).as("the batch the lost reply carried").hasSize(2);
      assertThat(redis.client().llen("alert/same")).as("two trimmed, once").isEqualTo(3);
      assertThat(redis.client().get(keys.lease("alert/same"))).isEqualTo(TOKEN + "#7:2");
      assertThat(leases.renew(List.of("alert/same")))
          .as("a marked lease is still this relay's")
          .isEmpty();
      assertThat(leases.holders(List.of("alert/same"))).containsEntry("alert/same", TOKEN);
    }
  }

  @Test
  void aStepSentAgainAfterItsReplyWasLostRecordsItsDeadLettersOnce() {
    RelayKeys keys = new RelayKeys("watch-lost-reply-dead");
    redis.client().rpush("alert/bad-twice", "bad", "next");
    byte[] bad = "bad".getBytes(UTF_8);
    try (DeliverySteps steps = steps(keys)) {
      steps.run(List.of(step("alert/bad-twice", 0, null, null, 0, 0, 3, 0)), 1 << 20);
      StepRequest finish = finishingWithDeadLetter("alert/bad-twice", bad, "{\"dead\":\"bad\"}", 3);
      steps.run(List.of(finish), 1 << 20);
      StepResult again = steps.run(List.of(finish), 1 << 20).get(0);

      assertThat(again.status()).isEqualTo(StepResult.Status.DONE);
      assertThat(redis.client().lrange("alert/bad-twice", 0, -1)).containsExactly("next");
      assertThat(redis.client().lrange(keys.deadLetters(), 0, -1))
          .containsExactly("{\"dead\":\"bad\"}");
    }
  }

  @Test
  void aStepSentAgainWithMoreFinishedTrimsOnlyWhatItsFirstRunLeft() {
    // The lost step finished a0 and left a1 out; by the time it is sent again a1 is finished too.
    RelayKeys keys = new RelayKeys("watch-lost-reply-more");
    redis.client().rpush("alert/more", "a0", "a1", "a2", "a3", "a4", "a5");
    byte[] a0 = "a0".getBytes(UTF_8);
    byte[] a1 = "a1".getBytes(UTF_8);
    try (DeliverySteps steps = steps(keys)) {
      steps.run(List.of(step("alert/more", 0, null, null, 0, 0, 9, BIG)), 1 << 20);
      steps.run(List.of(step("alert/more", 2, a0, a1, 1, 1, 9, BIG)), 1 << 20);
      StepResult again =
          steps.run(List.of(step("alert/more", 2, a0, a1, 2, 0, 9, BIG)), 1 << 20).get(0);

      assertThat(again.status()).isEqualTo(StepResult.Status.DONE);
      assertThat(again.entries().stream().map(e -> new String(e, UTF_8)))
          .containsExactly("a2", "a3");
      assertThat(redis.client().lrange("alert/more", 0, -1))
          .containsExactly("a2", "a3", "a4", "a5");
      // Written as an integer however large (Lua writes numbers past 1e14 with an exponent).
      assertThat(redis.client().get(keys.lease("alert/more"))).isEqualTo(TOKEN + "#9:" + (BIG + 2));
    }
  }

  @Test
  void anotherPumpsMarkIsNotTakenForThisStepsFirstRun() {
    // A pump made again for the key counts from 0; the mark of the one before must not make it
    // skip a trim it never ran.
    RelayKeys keys = new RelayKeys("watch-other-pump");
    redis.client().rpush("alert/new-pump", "b0", "b1", "b2");
    redis.client().set(keys.lease("alert/new-pump"), TOKEN + "#3:1");
    byte[] b0 = "b0".getBytes(UTF_8);
    try (DeliverySteps steps = steps(keys)) {
      StepResult result =
          steps.run(List.of(step("alert/new-pump", 1, b0, b0, 1, 0, 4, 0)), 1 << 20).get(0);

      assertThat(result.status()).isEqualTo(StepResult.Status.DONE);
      assertThat(redis.client().lrange("alert/new-pump", 0, -1)).containsExactly("b1", "b2");
      assertThat(redis.client().get(keys.lease("alert/new-pump"))).isEqualTo(TOKEN + "#4:1");
    }
  }

  @Test
  void aLeaseFoundThisRelaysThoughItDidNotCountItsOwnIsReportedTakenWithThePresence() {
    // The step that took the lease had its reply lost: sent again, it finds the lease already this
    // relay's. Reported as renewed, the relay would not learn which other relays have connections
    // of the key, and would not forward its batches to them.
    RelayKeys keys = new RelayKeys("watch-taken-twice");
    redis.client().rpush("alert/taken", "t0");
    redis.client().set(keys.lease("alert/taken"), TOKEN + "#5:0");
    redis.client().hset(keys.presence("alert/taken"), "relay:2", "0");
    try (DeliverySteps steps = steps(keys)) {
      StepRequest notCounted = step("alert/taken", 0, null, null, 0, 0, 5, 0);
      StepRequest counted =
          new StepRequest(
              "alert/taken", 0, null, null, 0, 0, List.of(), 2, 1 << 20, null, 5, 0, true);

      StepResult again = steps.run(List.of(notCounted), 1 << 20).get(0);
      StepResult renewed = steps.run(List.of(counted), 1 << 20).get(0);

      assertThat(again.acquired()).isTrue();
      assertThat(again.presence()).containsEntry("relay:2", false);
      assertThat(again.entries()).hasSize(1);
      assertThat(renewed.acquired()).as("counted its own: renewed").isFalse();
      assertThat(renewed.held()).isTrue();
    }
  }

  /** A step of pump {@code pump} that finishes the one entry it holds, a bad one, and reads on. */
  private static StepRequest finishingWithDeadLetter(
      String key, byte[] entry, String record, long pump) {
    return new StepRequest(
        key,
        1,
        entry,
        entry,
        1,
        0,
        List.of(record.getBytes(UTF_8)),
        2,
        1 << 20,
        null,
        pump,
        0,
        true);
  }

  private static DeliverySteps steps(RelayKeys keys) {
    return new DeliverySteps(endpoint(), keys, TOKEN, Duration.ofSeconds(10), "test-steps");
  }

  private static RedisEndpoint endpoint() {
    return RedisEndpoint.parse(redis.url());
  }

  /** A step of a plain key's pump {@code pump}, claiming up to 2 entries. */
  private static StepRequest step(
      String key,
      int held,
      byte[] first,
      byte[] last,
      int trim,
      int skip,
      long pump,
      long trimmedBefore) {
    return new StepRequest(
        key,
        held,
        first,
        last,
        trim,
        skip,
        List.of(),
        2,
        1 << 20,
        null,
        pump,
        trimmedBefore,
        held > 0);
  }
}
