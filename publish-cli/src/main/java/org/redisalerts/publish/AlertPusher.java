package org.redisalerts.publish;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RedisScript;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Pushes a batch of alerts for one key, each with its watch entry, atomically per chunk (a Lua
 * script), chunks pipelined so that large batches take one round trip per many thousands of alerts.
 * Retention (trim, expiry) is applied in the same atomic step.
 *
 * <p>Single-threaded: owns one connection for the duration of {@link #push}.
 */
public final class AlertPusher {

  /** Alerts per script call: each call is atomic; its arguments stay well within Lua's limits. */
  static final int CHUNK = 1000;

  /** Script calls in flight before waiting for their replies. */
  private static final int CHUNKS_PER_SYNC = 10;

  /** Refusals that pass, as Redis words them, alone or inside a script's error. */
  private static final Pattern NOT_SERVING =
      Pattern.compile("(^|-)(LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN) ");

  private static final RedisScript PUSH = RedisScript.load(AlertPusher.class, "push.lua");

  private final RedisEndpoint endpoint;
  private final String watch;

  public AlertPusher(RedisEndpoint endpoint, String watch) {
    this.endpoint = endpoint;
    this.watch = watch;
  }

  /**
   * Pushes every alert of {@code batch} to {@code key}.
   *
   * @param maxLen keep at most this many entries in the list (0: no limit)
   * @param ttl expiry set on the list after the push (null: none)
   * @param progress told the number of alerts pushed so far, after each round trip
   * @throws RedisUnavailableException when Redis cannot be reached, is lost part-way or stops
   *     serving (the message says how many alerts were pushed before)
   * @throws PushRefusedException when Redis refuses a chunk (the message says exactly which alerts
   *     were pushed)
   */
  public void push(String key, AlertBatch batch, long maxLen, Duration ttl, IntConsumer progress)
      throws RedisUnavailableException, PushRefusedException {
    byte[] keyBytes = key.getBytes(UTF_8);
    List<byte[]> keys = List.of(keyBytes, watch.getBytes(UTF_8));
    byte[] keep = Long.toString(maxLen).getBytes(UTF_8);
    byte[] expiry = Long.toString(ttl == null ? 0 : ttl.toMillis()).getBytes(UTF_8);
    List<byte[]> alerts = batch.alerts();
    int pushed = 0;
    try (Jedis jedis = endpoint.newConnection(10_000, "publish")) {
      if (alerts.size() <= CHUNK) {
        try {
          PUSH.runOnce(jedis, keys, arguments(keep, expiry, alerts));
        } catch (JedisDataException e) {
          refuse(e, "nothing was pushed");
        }
        progress.accept(alerts.size());
        return;
      }
      // Loaded once up front: a pipelined EVALSHA cannot fall back to EVAL on NOSCRIPT.
      byte[] sha;
      try {
        sha = jedis.scriptLoad(PUSH.body());
      } catch (JedisDataException e) {
        refuse(e, "nothing was pushed");
        return;
      }
      Pipeline pipeline = jedis.pipelined();
      List<Response<Object>> replies = new ArrayList<>(CHUNKS_PER_SYNC);
      for (int from = 0; from < alerts.size(); from += CHUNK) {
        List<byte[]> chunk = alerts.subList(from, Math.min(alerts.size(), from + CHUNK));
        replies.add(pipeline.evalsha(sha, keys, arguments(keep, expiry, chunk)));
        if (replies.size() == CHUNKS_PER_SYNC || from + chunk.size() == alerts.size()) {
          pipeline.sync();
          pushed = confirmed(replies, pushed, alerts.size());
          replies.clear();
          progress.accept(pushed);
        }
      }
    } catch (JedisConnectionException e) {
      int most = Math.min(alerts.size(), pushed + CHUNK * CHUNKS_PER_SYNC);
      String done =
          alerts.size() <= CHUNK || most == 0
              ? "nothing was pushed"
              : pushed
                  + " of "
                  + alerts.size()
                  + " alerts were pushed (up to "
                  + most
                  + " may have been)";
      throw new RedisUnavailableException(
          "cannot reach Redis at " + endpoint + " (" + rootMessage(e) + "); " + done, e);
    } catch (JedisDataException e) {
      // Only the connection's set-up gets here (the pushes' refusals are caught above): a
      // password, user or database that Redis refuses.
      throw new RedisUnavailableException(
          "Redis at "
              + endpoint
              + " refused this client ("
              + e.getMessage()
              + "): check the user, password and database in --redis; nothing was pushed",
          e);
    }
  }

  /**
   * Checks the replies of chunks pipelined together: a pipeline does not throw when Redis refuses a
   * command (out of memory, loading, a read-only replica), it keeps the error in the reply.
   *
   * @param pushed alerts pushed before these chunks
   * @return alerts pushed after them
   * @throws PushRefusedException or {@link RedisUnavailableException} at the first refused chunk,
   *     saying exactly which alerts were pushed; nothing after these chunks is sent
   */
  private static int confirmed(List<Response<Object>> replies, int pushed, int total)
      throws PushRefusedException, RedisUnavailableException {
    for (int i = 0; i < replies.size(); i++) {
      try {
        replies.get(i).get();
      } catch (JedisDataException e) {
        int from = pushed + i * CHUNK;
        int to = Math.min(total, from + CHUNK);
        int after = 0;
        for (int j = i + 1; j < replies.size(); j++) {
          try {
            replies.get(j).get();
            after += Math.min(CHUNK, total - (pushed + j * CHUNK));
          } catch (JedisDataException alsoRefused) {
            // counted as not pushed
          }
        }
        String done =
            (from == 0
                    ? "nothing was pushed before it"
                    : from + " of " + total + " alerts were pushed")
                + ", alerts "
                + (from + 1)
                + " to "
                + to
                + " were not"
                + (after == 0
                    ? (to < total ? ", nor any after them" : "")
                    : (", and "
                        + after
                        + " of the "
                        + (total - to)
                        + " after them were, out of order"
                        + " (see the list)"));
        refuse(e, done);
      }
    }
    return Math.min(total, pushed + replies.size() * CHUNK);
  }

  /**
   * What a refusal from Redis becomes: one that passes (the server loading its data, busy, a
   * replica, a cluster or Sentinel in failover) is Redis not serving, exit 3 as when it cannot be
   * reached; any other (out of memory, a key holding another type) a refused push.
   */
  private static void refuse(JedisDataException e, String done)
      throws RedisUnavailableException, PushRefusedException {
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (NOT_SERVING.matcher(message).find()) {
      throw new RedisUnavailableException("Redis is not serving (" + message + "); " + done, e);
    }
    throw new PushRefusedException("Redis refused the push (" + message + "); " + done, e);
  }

  private static List<byte[]> arguments(byte[] keep, byte[] expiry, List<byte[]> alerts) {
    List<byte[]> args = new ArrayList<>(alerts.size() + 2);
    args.add(keep);
    args.add(expiry);
    args.addAll(alerts);
    return args;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
