package org.redisalerts.relay.clients;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.redisalerts.relay.websocket.BatchCallback;

/**
 * The acknowledgements of one connection that identified with {@code "ack":true} (SPEC 9): how many
 * alerts it was sent and acknowledged since the reply to its identify, and the batch that waits for
 * its acknowledgement. A batch counts as delivered on this connection only as far as it was
 * acknowledged, so the key's pump trims no alert this connection received and did not confirm
 * (unless another connection of the key delivered it): those stay at the head of the list and go to
 * the next connection.
 *
 * <p>One batch per key is out at a time and a key's batches for an acknowledging connection are no
 * larger than the window, so at most a window of alerts waits for acknowledgement. Thread-safe:
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

    ScheduledFuture<?> timeout;

    Pending(long start, int size, BatchCallback callback) {
      this.start = start;
      this.size = size;
      this.callback = callback;
    }
  }

  /** Told when a batch is settled, for metrics. */
  interface Listener {
    /**
     * @param written alerts the socket took
     * @param acknowledged of those, the ones acknowledged
     */
    void settled(int written, int acknowledged);

    /** The window's batch was not acknowledged in time. */
    void timedOut(AckWindow window);
  }

  private final long timeoutNanos;
  private final ScheduledExecutorService timer;
  private final Listener listener;

  private long sent;
  private long acked;
  private Pending pending;

  AckWindow(long timeoutNanos, ScheduledExecutorService timer, Listener listener) {
    this.timeoutNanos = timeoutNanos;
    this.timer = timer;
    this.listener = listener;
  }

  /**
   * A batch of {@code size} alerts is about to be queued on the socket.
   *
   * @return the callback to give the socket in place of {@code callback}
   */
  synchronized BatchCallback sending(int size, BatchCallback callback) {
    Pending p = new Pending(sent, size, callback);
    sent += size;
    pending = p;
    return written -> written(p, written);
  }

  private void written(Pending p, int written) {
    int count;
    synchronized (this) {
      p.written = written;
      if (p.settled) {
        return;
      }
      long confirmed = (p.finalAcked >= 0 ? p.finalAcked : acked) - p.start;
      if (confirmed < written && p.finalAcked < 0 && written == p.size) {
        // Written in full and not yet acknowledged: wait for the client, not forever.
        p.timeout = timer.schedule(() -> timeUp(p), timeoutNanos, TimeUnit.NANOSECONDS);
        return;
      }
      count = (int) Math.max(0, Math.min(written, confirmed));
      settle(p);
    }
    listener.settled(written, count);
    p.callback.done(count);
  }

  private void timeUp(Pending p) {
    synchronized (this) {
      if (p.settled) {
        return;
      }
    }
    listener.timedOut(this);
  }

  /** Marks {@code p} settled; holds the lock. */
  private void settle(Pending p) {
    p.settled = true;
    if (pending == p) {
      pending = null;
    }
    if (p.timeout != null) {
      p.timeout.cancel(false);
    }
  }

  /**
   * The client acknowledged {@code count} alerts in all since the identify reply.
   *
   * @throws BadAck when the count goes down or exceeds what was sent
   */
  void ack(long count) throws BadAck {
    Pending p;
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
      acked = count;
      p = pending;
      if (p == null || p.written < 0 || acked - p.start < p.written) {
        return;
      }
      settle(p);
    }
    listener.settled(p.written, p.written);
    p.callback.done(p.written);
  }

  /**
   * The connection closed, or identified again (its counts start over): what was acknowledged so
   * far is what the pending batch delivered here.
   */
  void detach() {
    Pending p;
    int count;
    synchronized (this) {
      p = pending;
      if (p == null) {
        return;
      }
      pending = null; // a new identify's batches wait on their own
      p.finalAcked = acked;
      if (p.written < 0) {
        return; // the socket's report settles it, with these acks
      }
      count = (int) Math.max(0, Math.min(p.written, acked - p.start));
      settle(p);
    }
    listener.settled(p.written, count);
    p.callback.done(count);
  }

  /** Starts the counts over, after the reply to a new identify. */
  synchronized void restart() {
    sent = 0;
    acked = 0;
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
