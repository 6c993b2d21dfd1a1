package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RedisScript;
import org.redisalerts.common.RelayKeys;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
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
  private static final byte[] ONE = {'1'};

  private final RedisEndpoint endpoint;
  private final RelayKeys keys;
  private final byte[] deadLetters;
  private final byte[] token;
  private final byte[] leaseMillis;
  private final byte[] leasePrefix;

  /** {@link #popArgs}'s last limits and their arguments; used by the watcher thread only. */
  private PopLimits popLimits;

  private List<byte[]> popArgs;
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
    String leaseOfNothing = keys.lease("");
    this.leasePrefix =
        leaseOfNothing.substring(0, leaseOfNothing.length() - 1).getBytes(UTF_8); // K goes before }
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
   * How much the reads that ride with the watcher's pop ({@link #sendWithPop}) may take.
   *
   * @param entries the most watch entries the pop takes
   * @param claim the most alerts read from one list
   * @param minClaim the fewest alerts read from one list, however many lists are read
   * @param claimAll the most alerts read from all lists together (shared out among them)
   * @param lists the most lists read
   * @param claimBytes the most bytes read from one list (one alert is always read)
   */
  public record PopLimits(
      int entries, int claim, int minClaim, int claimAll, int lists, long claimBytes) {}

  /**
   * What the script sent with the watcher's pop did.
   *
   * @param stepped one result per step sent with it, in order
   * @param entries how many watch entries it took
   * @param named the keys they named, each once, in order of first entry
   * @param read the lists it read for the relay besides the steps: keys it named that no step
   *     stepped and whose lease this relay holds; nothing of them was trimmed
   * @param refusal Redis's refusal of the pop (then nothing was taken), or null
   */
  public record Popped(
      List<StepResult> stepped,
      int entries,
      List<String> named,
      List<StepResult> read,
      String refusal) {}

  /** What becomes of a script sent with the watcher's pop; told on the watcher thread. */
  public interface PopReply {

    /**
     * The script ran, once the pop had an entry (or its wait ended).
     *
     * @return the keys named that need no step of their own (the script stepped or read them, and
     *     the relay took what it read)
     */
    Set<String> ran(Popped popped);

    /**
     * The script did not run (Redis refused it: it lost the script, or the script failed), or the
     * connection broke before its reply came, so whether it ran is not known.
     */
    void failed(JedisException e);
  }

  /**
   * Sends the watcher's next pop as a wait for an entry (a BLMOVE of the watch list onto itself,
   * which takes nothing) and this script behind it, in one write (the caller is the watcher
   * thread): once an entry comes, the script runs {@code requests}' steps, takes the watch entries,
   * and reads a batch of each other key they name whose lease this relay holds. The alert of a key
   * that trickles thus comes back read with its watch entry: one wait for Redis, not two. {@code
   * then} is told when the watcher reads the replies.
   *
   * @param requests steps to run first (those of keys that wrote their last batch); may be empty
   * @param byteBudget the most bytes the steps and reads take together
   * @param briefSeconds when {@code requests} trim what their keys wrote (which should not wait
   *     long), how long the pop waits for an entry at most; else 0 (the watcher's poll)
   * @param whole whether to send the script itself rather than its digest (Redis lost it)
   * @throws redis.clients.jedis.exceptions.JedisException when the write failed (nothing was sent,
   *     or the connection is broken: the watcher finds out and opens it again)
   */
  public void sendWithPop(
      List<StepRequest> requests,
      long byteBudget,
      PopLimits limits,
      WatchPop pop,
      double briefSeconds,
      boolean whole,
      PopReply then) {
    Call call = call(requests, byteBudget);
    List<byte[]> names = call.names();
    List<byte[]> args = call.args();
    names.add(pop.watch());
    args.addAll(popArgs(limits));
    pop.sendWithScript(
        whole ? SCRIPT.eval(names, args) : SCRIPT.evalsha(names, args),
        briefSeconds,
        new WatchPop.Reply() {
          @Override
          public WatchPop.Taken read(Object reply) {
            Popped popped = popped(requests, (List<?>) reply);
            Set<String> served = then.ran(popped);
            if (popped.refusal() != null) {
              throw new JedisDataException(popped.refusal());
            }
            List<String> rest = new ArrayList<>(popped.named().size());
            for (String key : popped.named()) {
              if (!served.contains(key)) {
                rest.add(key);
              }
            }
            return new WatchPop.Taken(rest, popped.entries());
          }

          @Override
          public void failed(JedisException e) {
            then.failed(e);
          }
        });
  }

  /**
   * The script's arguments for the pop, after the steps': the same every time but for the lists it
   * may read (none while the relay holds too much unwritten), so they are made once per value.
   */
  private List<byte[]> popArgs(PopLimits limits) {
    if (!limits.equals(popLimits)) {
      popArgs =
          List.of(
              number(limits.entries()),
              leasePrefix,
              number(limits.claim()),
              number(limits.minClaim()),
              number(limits.claimAll()),
              number(limits.lists()),
              Long.toString(limits.claimBytes()).getBytes(UTF_8));
      popLimits = limits;
    }
    return popArgs;
  }

  private static Popped popped(List<StepRequest> requests, List<?> reply) {
    Reader in = new Reader(reply);
    List<StepResult> stepped = new ArrayList<>(requests.size());
    for (StepRequest r : requests) {
      stepped.add(in.result(r.key()));
    }
    int entries = in.number();
    if (entries < 0) {
      return new Popped(stepped, 0, List.of(), List.of(), in.text());
    }
    int count = in.number();
    List<String> named = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      named.add(in.text());
    }
    int reads = in.number();
    List<StepResult> read = new ArrayList<>(reads);
    for (int i = 0; i < reads; i++) {
      read.add(in.result(in.text()));
    }
    return new Popped(stepped, entries, named, read, null);
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
      args.add((r.pump() + ":" + r.trimmedBefore()).getBytes(UTF_8));
      args.add(r.mine() ? ONE : ZERO);
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
    Reader in = new Reader(reply);
    List<StepResult> results = new ArrayList<>(requests.size());
    for (StepRequest r : requests) {
      results.add(in.result(r.key()));
    }
    return results;
  }

  /** The script's reply, read in order. */
  private static final class Reader {
    private final List<?> reply;
    private int at;

    Reader(List<?> reply) {
      this.reply = reply;
    }

    int number() {
      return ((Long) reply.get(at++)).intValue();
    }

    byte[] bytes() {
      return (byte[]) reply.get(at++);
    }

    String text() {
      return new String(bytes(), UTF_8);
    }

    /** One list's result: status, more, lease, count and entries, count and extra values. */
    StepResult result(String key) {
      int status = number();
      boolean more = number() != 0;
      int lease = number();
      int count = number();
      List<byte[]> entries = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        entries.add(bytes());
      }
      int extras = number();
      List<byte[]> extra = new ArrayList<>(extras);
      for (int i = 0; i < extras; i++) {
        extra.add(bytes());
      }
      return DeliverySteps.result(key, status, entries, more, lease, extra);
    }
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
