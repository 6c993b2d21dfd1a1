package org.redisalerts.relay.clients;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.redisalerts.relay.websocket.BatchCallback;

/**
 * The acknowledgements of one connection that identified with {@code "ack":true} (SPEC 9): how many
 * alerts it was sent and acknowledged since the reply to its identify, and the batches that wait
 * for their acknowledgement. A batch counts as delivered on this connection only as far as it was
 * acknowledged, so the key's pump trims no alert this connection received and did not confirm
 * (unless another connection of the key delivered it): those stay at the head of the list and go to
 * the next connection.
 *
 * <p>The key's pump reads no more for this connection than its window has room for, so at most a
 * window of alerts waits for acknowledgement; several batches may, when the client acknowledges in
 * groups. Acknowledgements that free half the window tell the pump ({@link Listener#opened}): a
 * client that acknowledges in groups smaller than the window always gets more, and one that
 * acknowledges every alert gets batches of half a window, not one alert at a time. Thread-safe:
 * sends come from the delivery side, written reports from the writing thread, acks and closes from
 * the connection's decoder thread.
 */
final class AckWindow {

  /** What a client did wrong with an ack; the connection is closed with 1008 and this message. */
  static final class BadAck extends Exception {
    BadAck(String message) {
      super(message, null, false, false);
    }
  }

  /** A batch sent and not yet settled. */
  private static final class Pending {
    final long start;
    final int size;
    final BatchCallback callback;

    /** Frames the socket took, once it said; -1 before. */
    int written = -1;

    /** Set when the connection closed or identified again: the acks that count are in. */
    long finalAcked = -1;

    boolean settled;

    /** What it delivered here, once settled. */
    int count;

    ScheduledFuture<?> timeout;

    Pending(long start, int size, BatchCallback callback) {
      this.start = start;
      this.size = size;
      this.callback = callback;
    }
  }

  /** Told when a batch is settled, for metrics, and when the window has room again. */
  interface Listener {
    /**
     * @param written alerts the socket took
     * @param acknowledged of those, the ones acknowledged
     */
    void settled(int written, int acknowledged);

    /** A batch was not acknowledged in time. */
    void timedOut(AckWindow window);

    /**
     * Acknowledgements freed half the window (or the connection left it): the key's pump may read
     * more. Called on the thread that acknowledged, with no lock held.
     */
    void opened();
  }

  private final int size;
  private final long timeoutNanos;
  private final ScheduledExecutorService timer;
  private final Listener listener;

  private long sent;
  private long acked;

  /** Batches sent and not settled, oldest first. */
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();

  /**
   * @param size the window: the most alerts sent and not acknowledged
   */
  AckWindow(int size, long timeoutNanos, ScheduledExecutorService timer, Listener listener) {
    this.size = size;
    this.timeoutNanos = timeoutNanos;
    this.timer = timer;
    this.listener = listener;
  }

  /**
   * A batch of {@code count} alerts is about to be queued on the socket.
   *
   * @return the callback to give the socket in place of {@code callback}
   */
  synchronized BatchCallback sending(int count, BatchCallback callback) {
    Pending p = new Pending(sent, count, callback);
    sent += count;
    pending.addLast(p);
    return written -> written(p, written);
  }

  private void written(Pending p, int written) {
    List<Pending> done;
    synchronized (this) {
      p.written = written;
      if (written < p.size || p.finalAcked >= 0) {
        // Closing (or closed): what was acknowledged by now is what it delivered here.
        done = List.of(settle(p, p.finalAcked >= 0 ? p.finalAcked : acked));
      } else {
        done = settleAcknowledged();
        if (!p.settled) {
          // Written in full and not yet acknowledged: wait for the client, not forever.
          p.timeout = timer.schedule(() -> timeUp(p), timeoutNanos, TimeUnit.NANOSECONDS);
        }
      }
    }
    p.callback.taken(written);
    report(done);
  }

  private void timeUp(Pending p) {
    synchronized (this) {
      if (p.settled) {
        return;
      }
    }
    listener.timedOut(this);
  }

  /**
   * Settles {@code p} with the acknowledgements {@code confirmed} counts; holds the lock.
   *
   * @return p
   */
  private Pending settle(Pending p, long confirmed) {
    p.settled = true;
    p.count = (int) Math.max(0, Math.min(p.written, confirmed - p.start));
    pending.remove(p);
    if (p.timeout != null) {
      p.timeout.cancel(false);
    }
    return p;
  }

  /** Settles the batches written and acknowledged in full, oldest first; holds the lock. */
  private List<Pending> settleAcknowledged() {
    List<Pending> done = null;
    Pending p;
    while ((p = pending.peekFirst()) != null && p.written >= 0 && acked - p.start >= p.written) {
      if (done == null) {
        done = new ArrayList<>(2);
      }
      done.add(settle(p, acked));
    }
    return done == null ? List.of() : done;
  }

  private void report(List<Pending> done) {
    for (Pending p : done) {
      listener.settled(p.written, p.count);
      p.callback.done(p.count);
    }
  }

  /**
   * The client acknowledged {@code count} alerts in all since the identify reply.
   *
   * @throws BadAck when the count goes down or exceeds what was sent
   */
  void ack(long count) throws BadAck {
    List<Pending> done;
    boolean opened;
    Pending part = null;
    int partCount = 0;
    synchronized (this) {
      if (count < acked) {
        throw new BadAck(
            "ack count "
                + count
                + " is below the "
                + acked
                + " acknowledged before (acks count all alerts since the identify reply)");
      }
      if (count > sent) {
        throw new BadAck("ack count " + count + " is more than the " + sent + " alerts sent");
      }
      opened = 2 * (sent - acked) > size && 2 * (sent - count) <= size;
      acked = count;
      done = settleAcknowledged();
      Pending first = pending.peekFirst();
      if (first != null && acked > first.start) {
        part = first;
        partCount = (int) Math.min(first.size, acked - first.start);
      }
    }
    report(done);
    if (part != null) {
      part.callback.acknowledged(partCount); // the next batch, acknowledged in part
    }
    if (opened) {
      listener.opened();
    }
  }

  /**
   * The connection closed, or identified again (its counts start over): what was acknowledged so
   * far is what the batches out delivered here.
   */
  void detach() {
    List<Pending> done = new ArrayList<>();
    synchronized (this) {
      for (Pending p : List.copyOf(pending)) {
        p.finalAcked = acked;
        if (p.written >= 0) {
          done.add(settle(p, acked));
        } // else the socket's report settles it, with these acks
      }
      pending.clear(); // a new identify's batches wait on their own
    }
    report(done);
    listener.opened();
  }

  /**
   * Whether an ack of {@code count} confirms alerts not confirmed before. Such acks are at most one
   * per alert sent, so they need no other bound.
   */
  synchronized boolean advances(long count) {
    return count > acked && count <= sent;
  }

  /** Alerts sent and not acknowledged. */
  synchronized long outstanding() {
    return sent - acked;
  }
}
