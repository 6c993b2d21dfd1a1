package org.redisalerts.relay.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.RedisScript;
import org.redisalerts.testing.TestRedis;
import redis.clients.jedis.Jedis;

/** RedisScript.run on one connection, as the delivery steps and the lease keeper use it. */
class RedisScriptRunTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final RedisScript ECHO =
      RedisScript.load(RedisScriptRunTest.class, "echo-arguments.lua");

  @Test
  void argumentsArriveByteForByteWhetherRedisHasTheScriptOrNot() {
    byte[] key = {'k', (byte) 0xff, 0, '{', '}'};
    byte[] first = {(byte) 0xc3, (byte) 0x28, '\r', '\n'};
    byte[] second = new byte[0];
    try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
      jedis.scriptFlush();
      for (int run = 0; run < 3; run++) {
        // Run 0: NOSCRIPT, sent whole; run 1: by its SHA-1; run 2: after Redis forgot it again.
        if (run == 2) {
          jedis.scriptFlush();
        }
        List<?> reply = (List<?>) ECHO.run(jedis, List.of(key), List.of(first, second));
        assertThat((byte[]) reply.get(0)).as("run %d", run).isEqualTo(key);
        assertThat((byte[]) reply.get(1)).isEqualTo(first);
        assertThat((byte[]) reply.get(2)).isEqualTo(second);
        assertThat(List.<Object>copyOf(reply.subList(3, 5))).containsExactly(1L, 2L);
      }
      assertThat(jedis.scriptExists(new String(ECHO.sha()))).isTrue();
    }
  }
}
