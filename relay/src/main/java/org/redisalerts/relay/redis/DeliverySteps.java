package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.List;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RedisScript;
import org.redisalerts.common.RelayKeys;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The Redis side of delivery: one atomic script (deliver.lua) finishes and reads for many lists at
 * once, so a round of steps costs one round trip and two or three commands per list (LRANGE, LTRIM,
 * and LINDEX when more than one entry was held) however many lists it names.
 *
 * <p>Owned by one thread, with a connection of its own that is opened on first use and again after
 * a failure.
 */
public final class DeliverySteps implements AutoCloseable {

  private static final RedisScript SCRIPT = RedisScript.load(DeliverySteps.class, "deliver.lua");
  private static final byte[] ZERO = {'0'};

  private final RedisEndpoint endpoint;
  private final byte[] deadLetters;
  private final String name;
  private Jedis jedis;

  public DeliverySteps(RedisEndpoint endpoint, RelayKeys keys, String name) {
    this.endpoint = endpoint;
    this.deadLetters = keys.deadLetters().getBytes(UTF_8);
    this.name = name;
  }

  /**
   * Runs one step for each request, atomically.
   *
   * @param byteBudget the most bytes the step reads in all; lists past it read nothing and report
   *     that they may hold more
   * @return one result per request, in order
   * @throws redis.clients.jedis.exceptions.JedisException when Redis is unreachable or refuses the
   *     script; nothing is known to have happened then (the step is atomic)
   */
  public List<StepResult> run(List<StepRequest> requests, long byteBudget) {
    List<byte[]> keys = new ArrayList<>(requests.size() + 1);
    List<byte[]> args = new ArrayList<>(2 + requests.size() * 8);
    args.add(Integer.toString(requests.size()).getBytes(UTF_8));
    args.add(Long.toString(byteBudget).getBytes(UTF_8));
    for (StepRequest r : requests) {
      keys.add(r.key().getBytes(UTF_8));
      args.add(number(r.held()));
      args.add(number(r.trim()));
      args.add(number(r.skip()));
      args.add(number(r.claim()));
      args.add(Long.toString(r.claimBytes()).getBytes(UTF_8));
      args.add(number(r.deadLetters().size()));
      if (r.held() > 0) {
        args.add(r.firstHeld());
        args.add(r.lastHeld());
      }
      args.addAll(r.deadLetters());
    }
    keys.add(deadLetters);
    List<?> reply;
    try {
      reply = (List<?>) SCRIPT.run(connection(), keys, args);
    } catch (JedisConnectionException e) {
      disconnect();
      throw e;
    }
    return results(requests, reply);
  }

  private static List<StepResult> results(List<StepRequest> requests, List<?> reply) {
    List<StepResult> results = new ArrayList<>(requests.size());
    int at = 0;
    for (StepRequest r : requests) {
      int status = ((Long) reply.get(at)).intValue();
      boolean more = (Long) reply.get(at + 1) != 0;
      int count = ((Long) reply.get(at + 2)).intValue();
      at += 3;
      if (status == 2) {
        String error = new String((byte[]) reply.get(at), UTF_8);
        at += count;
        results.add(new StepResult(r.key(), StepResult.Status.REFUSED, List.of(), false, error));
        continue;
      }
      List<byte[]> entries = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        entries.add((byte[]) reply.get(at + i));
      }
      at += count;
      results.add(
          new StepResult(
              r.key(),
              status == 1 ? StepResult.Status.HEAD_CHANGED : StepResult.Status.DONE,
              entries,
              more,
              null));
    }
    return results;
  }

  private static byte[] number(int n) {
    return n == 0 ? ZERO : Integer.toString(n).getBytes(UTF_8);
  }

  private Jedis connection() {
    if (jedis == null) {
      jedis = endpoint.newConnection(5_000, name);
    }
    return jedis;
  }

  private void disconnect() {
    if (jedis != null) {
      try {
        jedis.close();
      } catch (RuntimeException e) {
        // A broken connection: dropping it is all that is left to do.
      }
      jedis = null;
    }
  }

  @Override
  public void close() {
    disconnect();
  }
}
