package org.redisalerts.relay.redis;

import java.nio.charset.StandardCharsets;
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
 * The watcher's pop of the watch list, on the watcher's own connection, in one of two forms.
 *
 * <ul>
 *   <li>Plain: a blocking pop of one entry and, behind it, a pop of up to a batch. Redis runs the
 *       second only once the first has an entry, so both replies come back together. A delivery
 *       round run on the watcher thread may send its script before it ({@link
 *       DeliverySteps#run(List, long, WatchPop)}), one write for both.
 *   <li>With a script ({@link DeliverySteps#sendWithPop}): a wait for an entry that takes nothing
 *       (BLMOVE of the list onto itself) and the delivery script behind it, which takes the entries
 *       and reads the alerts of the keys they name. An alert then comes back read with its watch
 *       entry. The script's reply is handed to its {@link Reply} before {@link #read} returns the
 *       keys it named.
 * </ul>
 *
 * Only the watcher thread uses it.
 */
public final class WatchPop {

  /**
   * What the script sent with the pop took: the keys that still need a step, and how many watch
   * entries it took in all.
   */
  record Taken(List<String> keys, int entries) {}

  /** What becomes of the script sent with the pop; told on the watcher thread. */
  interface Reply {

    /**
     * The script's reply, read right after the wait's: handed on.
     *
     * @return the keys its entries named that still need a step, and how many entries it took
     * @throws JedisDataException when Redis refused the pop (after what the script ran is handed
     *     on)
     */
    Taken read(Object reply);

    /**
     * The script did not run (Redis answered with an error), or the connection broke before its
     * reply came (whether it ran is not known).
     */
    void failed(JedisException e);
  }

  private final Connection connection;
  private final String watch;
  private final byte[] watchName;

  /** BLPOP and LPOP, built once: Jedis writes a command's arguments without changing them. */
  private final CommandArguments blockingPop;

  private final CommandArguments batchPop;

  private final int batch;

  /** The wait for an entry that a script rides behind, as long as the poll. */
  private final CommandArguments pollWait;

  /** A briefer such wait, and how long it waits. */
  private CommandArguments briefWait;

  private double briefSeconds = -1;

  private boolean sent;
  private boolean drained;

  /** How many entries the last read took. */
  private int taken;

  /** The script sent with the pop, until its reply is read. */
  private Reply script;

  /** Redis refused the last wait for an entry (the script behind it ran all the same). */
  private JedisDataException waitRefused;

  WatchPop(Connection connection, String watch, double pollSeconds, int batch) {
    this.connection = connection;
    this.watch = watch;
    this.watchName = watch.getBytes(StandardCharsets.UTF_8);
    this.blockingPop =
        new CommandArguments(Protocol.Command.BLPOP).add(watch).add(seconds(pollSeconds));
    this.batchPop = new CommandArguments(Protocol.Command.LPOP).add(watch).add(batch);
    this.batch = batch;
    this.pollWait = waitFor(pollSeconds);
  }

  private CommandArguments waitFor(double seconds) {
    return new CommandArguments(Protocol.Command.BLMOVE)
        .add(watch)
        .add(watch)
        .add("LEFT")
        .add("LEFT")
        .add(seconds(seconds));
  }

  private static String seconds(double seconds) {
    return String.format(Locale.ROOT, "%.3f", seconds);
  }

  /** The connection the pop is sent on; a round's script goes before it. */
  Connection connection() {
    return connection;
  }

  /** The watch list's name, for a script sent with the pop. */
  byte[] watch() {
    return watchName; // (sent as it is: Jedis writes a command's arguments without changing them)
  }

  /** The most entries one pop takes. */
  public int batch() {
    return batch;
  }

  /** Whether the pop was sent and its replies not read yet. */
  public boolean sent() {
    return sent;
  }

  /** Queues the plain pop on the connection (written with the next flush), unless it is queued. */
  void send() {
    if (!sent) {
      connection.sendCommand(blockingPop);
      connection.sendCommand(batchPop);
      sent = true;
    }
  }

  /**
   * Sends a wait for an entry with {@code command} (the delivery script, which takes the entries)
   * behind it.
   *
   * @param briefSeconds how long the wait lasts at most when it is briefer than the poll's, else 0
   * @throws IllegalStateException when the pop was sent already
   */
  void sendWithScript(CommandArguments command, double briefSeconds, Reply reply) {
    if (sent) {
      throw new IllegalStateException("the pop was sent already");
    }
    if (briefSeconds > 0 && briefSeconds != this.briefSeconds) {
      briefWait = waitFor(briefSeconds);
      this.briefSeconds = briefSeconds;
    }
    connection.sendCommand(briefSeconds > 0 ? briefWait : pollWait);
    connection.sendCommand(command);
    sent = true;
    script = reply;
  }

  /**
   * Sends the plain pop if nothing did, and waits for its replies (at most about the poll
   * interval); with a script, hands the script's reply on first.
   *
   * @return the keys the entries named, each once, in the order first named (but those the script
   *     sent with the pop stepped or read); empty when the poll timed out
   * @throws JedisDataException when Redis refused the pop (after handing on what a script ran)
   */
  Set<String> read() {
    send();
    sent = false;
    waitRefused = null;
    Reply withScript = script;
    script = null;
    if (withScript != null) {
      return readScript(withScript);
    }
    List<String> first = null;
    List<String> rest = null;
    JedisDataException refused = null;
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
    Set<String> hinted = new LinkedHashSet<>();
    if (first != null) {
      hinted.add(first.get(1)); // [list, entry]; null when the poll timed out
    }
    if (rest != null) {
      hinted.addAll(rest);
    }
    if (refused != null && hinted.isEmpty()) {
      throw refused;
    }
    // (What the batch pop took after an error reply to the first is handed on all the same.)
    drained = first != null && rest == null;
    taken = (first != null ? 1 : 0) + (rest != null ? rest.size() : 0);
    return hinted;
  }

  private Set<String> readScript(Reply withScript) {
    drained = false;
    taken = 0;
    try {
      connection.getOne();
    } catch (JedisDataException e) {
      waitRefused = e; // read: the script behind it runs all the same
    } catch (JedisException e) {
      withScript.failed(e);
      throw e;
    }
    Object reply;
    try {
      reply = connection.getOne();
    } catch (JedisConnectionException e) {
      withScript.failed(e);
      throw e;
    } catch (JedisException e) {
      withScript.failed(e); // an error reply, read: the script took nothing
      return Set.of();
    }
    Taken took = withScript.read(reply);
    taken = took.entries();
    return new LinkedHashSet<>(took.keys());
  }

  /**
   * Whether the last read found one entry and nothing behind it: the next pop will wait for the
   * next entry, so it may as well go out with a round's script. When more entries were waiting, it
   * is better sent after the round (and its writes to clients): entries pushed meanwhile are then
   * taken together, in fewer and larger rounds. Never after a pop with a script (its next pop goes
   * with a script again).
   */
  boolean drained() {
    return drained;
  }

  /** How many watch entries the last read took (a burst takes many, a trickle one or two). */
  public int taken() {
    return taken;
  }

  /**
   * Redis's refusal of the last wait for an entry that a script rode behind (the script ran all the
   * same), or null: under {@code maxmemory} Redis refuses the wait (it moves an entry) without
   * waiting, so the watcher pops plainly for a while instead of spinning.
   */
  public JedisDataException waitRefused() {
    return waitRefused;
  }
}
