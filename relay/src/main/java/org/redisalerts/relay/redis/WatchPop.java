package org.redisalerts.relay.redis;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The watcher's pop of the watch list, on the watcher's own connection: a blocking pop of one entry
 * and, behind it, a pop of up to a batch. Redis runs the second only once the first has an entry,
 * so both replies come back together.
 *
 * <p>Two things may share the pop's write, so that one wake-up of Redis and of the watcher carries
 * more than the pop:
 *
 * <ul>
 *   <li>a delivery round run on the watcher thread, for the keys the last pop named, sends its
 *       script before the pop ({@link DeliverySteps#run(List, long, WatchPop)});
 *   <li>a step of the key the next entry most likely names goes behind it ({@link
 *       DeliverySteps#sendBehind}): Redis runs it once the pop has its entry, so an alert of that
 *       key comes back read with its watch entry. Its reply is read with the pop's, and handed to
 *       the step's {@link Reply} before {@link #read} returns. Such a pop waits for an entry only
 *       briefly (the step also finishes what the key wrote before, which should not wait long).
 * </ul>
 *
 * Only the watcher thread uses it.
 */
public final class WatchPop {

  /** What becomes of the step sent behind the pop; told on the watcher thread. */
  interface Reply {

    /** The step's reply, read right after the pop's. */
    void read(Object reply);

    /**
     * The step did not run (Redis answered with an error), or the connection broke before its reply
     * came (whether it ran is not known).
     */
    void failed(JedisException e);
  }

  private final Connection connection;
  private final String watch;

  /** BLPOP and LPOP, built once: Jedis writes a command's arguments without changing them. */
  private final CommandArguments blockingPop;

  private final CommandArguments batchPop;

  /** The BLPOP that a step rides behind, and the wait it was built for. */
  private CommandArguments briefPop;

  private double briefSeconds = -1;

  private boolean sent;
  private boolean drained;

  /** The step sent behind the pop, until its reply is read. */
  private Reply behind;

  WatchPop(Connection connection, String watch, double pollSeconds, int batch) {
    this.connection = connection;
    this.watch = watch;
    this.blockingPop =
        new CommandArguments(Protocol.Command.BLPOP).add(watch).add(seconds(pollSeconds));
    this.batchPop = new CommandArguments(Protocol.Command.LPOP).add(watch).add(batch);
  }

  private static String seconds(double seconds) {
    return String.format(Locale.ROOT, "%.3f", seconds);
  }

  /** The connection the pop is sent on; a round's script goes before it. */
  Connection connection() {
    return connection;
  }

  /** Whether the pop was sent and its replies not read yet. */
  public boolean sent() {
    return sent;
  }

  /** Queues the pop on the connection (written with the next flush), unless it is queued. */
  void send() {
    if (!sent) {
      connection.sendCommand(blockingPop);
      connection.sendCommand(batchPop);
      sent = true;
    }
  }

  /**
   * Sends the pop with {@code step} behind it; the pop waits at most {@code waitSeconds} for an
   * entry.
   *
   * @throws IllegalStateException when the pop was sent already
   */
  void sendWithStep(CommandArguments step, double waitSeconds, Reply reply) {
    if (sent) {
      throw new IllegalStateException("the pop was sent already");
    }
    if (waitSeconds != briefSeconds) {
      briefPop = new CommandArguments(Protocol.Command.BLPOP).add(watch).add(seconds(waitSeconds));
      briefSeconds = waitSeconds;
    }
    connection.sendCommand(briefPop);
    connection.sendCommand(batchPop);
    connection.sendCommand(step);
    sent = true;
    behind = reply;
  }

  /**
   * Sends the pop if nothing did, and waits for its replies (at most about the poll interval), and
   * for the reply of a step behind it, which it hands on first.
   *
   * @return the keys the entries named, each once, in the order first named; empty when the poll
   *     timed out
   */
  Set<String> read() {
    send();
    sent = false;
    Reply step = behind;
    behind = null;
    List<String> first = null;
    List<String> rest = null;
    JedisDataException refused = null;
    try {
      try {
        first = connection.getMultiBulkReply();
      } catch (JedisDataException e) {
        refused = e; // an error reply (CLIENT UNBLOCK ... ERROR, a list of another type), read
      }
      try {
        rest = connection.getMultiBulkReply();
      } catch (JedisDataException e) {
        refused = refused == null ? e : refused;
      }
    } catch (JedisException e) {
      if (step != null) {
        step.failed(e);
      }
      throw e;
    }
    if (refused != null) {
      // Redis ran the step behind the pop all the same: what it trimmed and read must be known,
      // or the pump would send the same step again and trim what it had only read.
      if (step != null) {
        readStep(step);
      }
      throw refused;
    }
    Set<String> hinted = new LinkedHashSet<>();
    if (first != null) {
      hinted.add(first.get(1)); // [list, entry]; null when the poll timed out
    }
    if (rest != null) {
      hinted.addAll(rest);
    }
    drained = first != null && rest == null;
    if (step != null) {
      readStep(step);
    }
    return hinted;
  }

  private void readStep(Reply step) {
    Object reply;
    try {
      reply = connection.getOne();
    } catch (JedisConnectionException e) {
      step.failed(e);
      throw e;
    } catch (JedisException e) {
      step.failed(e); // an error reply, read: the connection stays in step
      return;
    }
    step.read(reply);
  }

  /**
   * Whether the last read found one entry and nothing behind it: the next pop will wait for the
   * next entry, so it may as well go out with a round's script. When more entries were waiting, it
   * is better sent after the round (and its writes to clients): entries pushed meanwhile are then
   * taken together, in fewer and larger rounds.
   */
  boolean drained() {
    return drained;
  }
}
