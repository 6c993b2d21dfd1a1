package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RedisScript;
import org.redisalerts.common.RelayKeys;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * The Redis side of delivery: one atomic script (deliver.lua) finishes and reads for many lists at
 * once, so a round of steps costs one round trip and two or three commands per list (LRANGE, LTRIM,
 * and LINDEX when more than one entry was held) however many lists it names.
 *
 * <p>Owned by one thread at a time (the delivery round's), with a connection of its own that is
 * opened on first use and again after a failure; a round run on the watcher thread uses the
 * watcher's connection instead, its script sent with the watcher's next pop ({@link WatchPop}).
 */
public final class DeliverySteps implements AutoCloseable {

  private static final RedisScript SCRIPT = RedisScript.load(DeliverySteps.class, "deliver.lua");
  private static final byte[] ZERO = {'0'};

  private final RedisEndpoint endpoint;
  private final RelayKeys keys;
  private final byte[] deadLetters;
  private final byte[] token;
  private final byte[] leaseMillis;
  private final String name;
  private Jedis jedis;

  /**
   * @param token this relay's lease token (SPEC 10)
   * @param lease how long a lease lasts unless renewed
   */
  public DeliverySteps(
      RedisEndpoint endpoint, RelayKeys keys, String token, Duration lease, String name) {
    this.endpoint = endpoint;
    this.keys = keys;
    this.deadLetters = keys.deadLetters().getBytes(UTF_8);
    this.token = token.getBytes(UTF_8);
    this.leaseMillis = Long.toString(lease.toMillis()).getBytes(UTF_8);
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
    return run(requests, byteBudget, null);
  }

  /**
   * Runs one step for each request, atomically, as {@link #run(List, long)} does. With {@code
   * behind}, the script goes on the watcher's connection with the watcher's next pop right behind
   * it, in one write (the caller is the watcher thread); when Redis does not have the script yet,
   * it runs on this object's own connection instead (it did not run at all on the watcher's).
   *
   * @param behind the watcher's next pop, or null
   * @throws redis.clients.jedis.exceptions.JedisException as {@link #run(List, long)}; a broken
   *     watcher connection is then the watcher's to open again
   */
  public List<StepResult> run(List<StepRequest> requests, long byteBudget, WatchPop behind) {
    Call call = call(requests, byteBudget);
    List<byte[]> names = call.names();
    List<byte[]> args = call.args();
    List<?> reply = null;
    if (behind != null && !behind.sent()) {
      // (Behind a pop already out the script would wait for the pop's entry, its reply after it.)
      Connection watcher = behind.connection();
      watcher.sendCommand(SCRIPT.evalsha(names, args));
      behind.send();
      try {
        reply = (List<?>) watcher.getOne();
      } catch (JedisNoScriptException e) {
        // Redis lost its scripts (a restart, SCRIPT FLUSH): sent whole below.
      }
    }
    if (reply == null) {
      try {
        reply = (List<?>) SCRIPT.run(connection(), names, args);
      } catch (JedisConnectionException e) {
        disconnect();
        throw e;
      }
    }
    return results(requests, reply);
  }

  /**
   * Sends one step behind the watcher's next pop, in the pop's write (the caller is the watcher
   * thread): Redis runs it once the pop has an entry, or its wait ended, and {@code then} is told
   * what became of it when the watcher reads the pop's replies.
   *
   * @param waitSeconds the most the pop then waits for an entry
   * @throws redis.clients.jedis.exceptions.JedisException when the write failed (nothing was sent,
   *     or the connection is broken: the watcher finds out and opens it again)
   */
  public void sendBehind(
      StepRequest request, long byteBudget, WatchPop pop, double waitSeconds, StepBehind then) {
    List<StepRequest> one = List.of(request);
    Call call = call(one, byteBudget);
    pop.sendWithStep(
        SCRIPT.evalsha(call.names(), call.args()),
        waitSeconds,
        new WatchPop.Reply() {
          @Override
          public void read(Object reply) {
            then.ran(results(one, (List<?>) reply).get(0));
          }

          @Override
          public void failed(JedisException e) {
            then.failed(e);
          }
        });
  }

  /** A script call's key names and arguments. */
  private record Call(List<byte[]> names, List<byte[]> args) {}

  private Call call(List<StepRequest> requests, long byteBudget) {
    List<byte[]> names = new ArrayList<>(requests.size() * 3 + 1);
    List<byte[]> args = new ArrayList<>(4 + requests.size() * 9);
    args.add(Integer.toString(requests.size()).getBytes(UTF_8));
    args.add(Long.toString(byteBudget).getBytes(UTF_8));
    args.add(token);
    args.add(leaseMillis);
    for (StepRequest r : requests) {
      names.add(r.key().getBytes(UTF_8));
      names.add(keys.lease(r.key()).getBytes(UTF_8));
      names.add(keys.presence(r.key()).getBytes(UTF_8));
      args.add(number(r.held()));
      args.add(number(r.trim()));
      args.add(number(r.skip()));
      args.add(number(r.claim()));
      args.add(Long.toString(r.claimBytes()).getBytes(UTF_8));
      args.add(number(r.deadLetters().size()));
      args.add(number(r.presence().ordinal()));
      if (r.held() > 0) {
        args.add(r.firstHeld());
        args.add(r.lastHeld());
      }
      args.addAll(r.deadLetters());
    }
    names.add(deadLetters);
    return new Call(names, args);
  }

  private static List<StepResult> results(List<StepRequest> requests, List<?> reply) {
    List<StepResult> results = new ArrayList<>(requests.size());
    int at = 0;
    for (StepRequest r : requests) {
      int status = ((Long) reply.get(at)).intValue();
      boolean more = (Long) reply.get(at + 1) != 0;
      int lease = ((Long) reply.get(at + 2)).intValue();
      int count = ((Long) reply.get(at + 3)).intValue();
      at += 4;
      List<byte[]> entries = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        entries.add((byte[]) reply.get(at + i));
      }
      at += count;
      int extras = ((Long) reply.get(at)).intValue();
      List<byte[]> extra = new ArrayList<>(extras);
      for (int i = 0; i < extras; i++) {
        extra.add((byte[]) reply.get(at + 1 + i));
      }
      at += 1 + extras;
      results.add(result(r.key(), status, entries, more, lease, extra));
    }
    return results;
  }

  private static StepResult result(
      String key, int status, List<byte[]> entries, boolean more, int lease, List<byte[]> extra) {
    boolean acquired = lease == 1;
    switch (status) {
      case 2:
        return new StepResult(
            key, StepResult.Status.REFUSED, List.of(), false, new String(entries.get(0), UTF_8));
      case 5:
        return new StepResult(
            key, StepResult.Status.FAILED, List.of(), false, new String(entries.get(0), UTF_8));
      case 3:
      case 4:
        return new StepResult(
            key,
            status == 3 ? StepResult.Status.NOT_OWNER : StepResult.Status.FENCED,
            List.of(),
            false,
            null,
            false,
            false,
            new String(extra.get(0), UTF_8),
            Map.of());
      default:
        Map<String, Boolean> presence = Map.of();
        if (acquired && !extra.isEmpty()) {
          presence = new HashMap<>();
          for (int i = 0; i + 1 < extra.size(); i += 2) {
            presence.put(new String(extra.get(i), UTF_8), extra.get(i + 1)[0] == '1');
          }
        }
        return new StepResult(
            key,
            status == 1 ? StepResult.Status.HEAD_CHANGED : StepResult.Status.DONE,
            entries,
            more,
            null,
            acquired,
            lease != 0,
            null,
            presence);
    }
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
