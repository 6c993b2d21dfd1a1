package org.redisalerts.relay.redis;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Protocol;

/**
 * The watcher's pop of the watch list, on the watcher's own connection: a blocking pop of one entry
 * and, behind it, a pop of up to a batch. Redis runs the second only once the first has an entry,
 * so both replies come back together.
 *
 * <p>A delivery round that runs on the watcher thread, for the keys the last pop named, sends its
 * script on this connection with the next pop right behind it ({@link DeliverySteps#run(List, long,
 * WatchPop)}): one write and one wake-up of Redis carry both, where sending the pop after the round
 * took a write of its own. Sent at most once per read; only the watcher thread uses it.
 */
public final class WatchPop {

  private final Connection connection;

  /** BLPOP and LPOP, built once: Jedis writes a command's arguments without changing them. */
  private final CommandArguments blockingPop;

  private final CommandArguments batchPop;
  private boolean sent;
  private boolean drained;

  WatchPop(Connection connection, String watch, double pollSeconds, int batch) {
    this.connection = connection;
    this.blockingPop =
        new CommandArguments(Protocol.Command.BLPOP).add(watch).add(String.valueOf(pollSeconds));
    this.batchPop = new CommandArguments(Protocol.Command.LPOP).add(watch).add(batch);
  }

  /** The connection the pop is sent on; a round's script goes before it. */
  Connection connection() {
    return connection;
  }

  /** Whether the pop was sent and its replies not read yet. */
  boolean sent() {
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
   * Sends the pop if nothing did, and waits for its replies (at most about the poll interval).
   *
   * @return the keys the entries named, each once, in the order first named; empty when the poll
   *     timed out
   */
  Set<String> read() {
    send();
    sent = false;
    List<String> first = connection.getMultiBulkReply();
    List<String> rest = connection.getMultiBulkReply();
    Set<String> hinted = new LinkedHashSet<>();
    if (first != null) {
      hinted.add(first.get(1)); // [list, entry]; null when the poll timed out
    }
    if (rest != null) {
      hinted.addAll(rest);
    }
    drained = first != null && rest == null;
    return hinted;
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
