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
        new StepRequest("alert/same", 2, x, x, 2, 0, List.of(), 10, 1 << 20, null);
    StepRequest finishBad =
        new StepRequest(
            "alert/bad",
            1,
            bad,
            bad,
            1,
            0,
            List.of("{\"dead\":1}".getBytes(UTF_8)),
            10,
            1 << 20,
            null);
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
}
