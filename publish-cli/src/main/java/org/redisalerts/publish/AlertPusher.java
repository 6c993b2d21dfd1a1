package org.redisalerts.publish;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RedisScript;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisConnectionException;

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
   * @throws RedisUnavailableException when Redis cannot be reached or is lost part-way (the message
   *     says how many alerts were pushed before)
   */
  public void push(String key, AlertBatch batch, long maxLen, Duration ttl, IntConsumer progress)
      throws RedisUnavailableException {
    byte[] keyBytes = key.getBytes(UTF_8);
    List<byte[]> keys = List.of(keyBytes, watch.getBytes(UTF_8));
    byte[] keep = Long.toString(maxLen).getBytes(UTF_8);
    byte[] expiry = Long.toString(ttl == null ? 0 : ttl.toMillis()).getBytes(UTF_8);
    List<byte[]> alerts = batch.alerts();
    int pushed = 0;
    try (Jedis jedis = endpoint.newConnection(10_000, "publish")) {
      if (alerts.size() <= CHUNK) {
        PUSH.runOnce(jedis, keys, arguments(keep, expiry, alerts));
        progress.accept(alerts.size());
        return;
      }
      // Loaded once up front: a pipelined EVALSHA cannot fall back to EVAL on NOSCRIPT.
      byte[] sha = jedis.scriptLoad(PUSH.body());
      int chunks = 0;
      Pipeline pipeline = jedis.pipelined();
      for (int from = 0; from < alerts.size(); from += CHUNK) {
        List<byte[]> chunk = alerts.subList(from, Math.min(alerts.size(), from + CHUNK));
        pipeline.evalsha(sha, keys, arguments(keep, expiry, chunk));
        if (++chunks % CHUNKS_PER_SYNC == 0) {
          pipeline.sync();
          pushed = from + chunk.size();
          progress.accept(pushed);
        }
      }
      pipeline.sync();
      pushed = alerts.size();
      progress.accept(pushed);
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
    }
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
