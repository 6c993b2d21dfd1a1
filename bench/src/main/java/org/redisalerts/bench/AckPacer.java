package org.redisalerts.bench;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.redisalerts.bench.ws.WsClientLoops;
import org.redisalerts.bench.ws.WsConnection;

/**
 * The acknowledgements of one client that identified with {@code "ack":true} (SPEC 9): each ack
 * gives the count of alerts received since the identify reply (cumulative), at most one per turn of
 * the connection's loop (so a batch read at once is acknowledged at once), and never more than the
 * relay's per-client message budget allows (20 messages a second, 60 at once, the identify
 * included): a client that acknowledged a fast key alert by alert would be closed for "too many
 * messages". Alerts that arrive while the budget is spent are acknowledged together when it allows.
 * Only touched by the connection's loop thread; the timer only hands work to it.
 */
final class AckPacer {

  /** Acks per second, sustained: under the relay's 20. */
  static final double PER_SECOND = 18;

  /** Acks at once: the relay's 60, less the identify and a margin for network jitter. */
  static final double BURST = 30;

  private final ScheduledExecutorService timer;
  private double tokens = BURST;
  private long last = System.nanoTime();
  private long received;
  private long acked;
  private volatile long sent; // written by the loop thread only

  /** Whether an ack is on its way: queued for the loop's next turn, or waiting for the budget. */
  private boolean queued;

  AckPacer(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** One more alert arrived on {@code connection}. */
  void received(WsConnection connection) {
    received++;
    if (!queued) {
      queued = true;
      WsClientLoops.execute(connection, () -> send(connection));
    }
  }

  /** Acks sent so far. */
  long acksSent() {
    return sent;
  }

  private void send(WsConnection connection) {
    queued = false;
    if (received == acked || !connection.isOpen()) {
      return;
    }
    long now = System.nanoTime();
    tokens = Math.min(BURST, tokens + (now - last) * PER_SECOND / 1e9);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      acked = received;
      sent++;
      connection.sendText("{\"event\":\"ack\",\"count\":" + received + "}");
      return;
    }
    queued = true;
    long wait = (long) ((1 - tokens) * 1e9 / PER_SECOND) + 1;
    timer.schedule(
        () -> WsClientLoops.execute(connection, () -> send(connection)),
        wait,
        TimeUnit.NANOSECONDS);
  }
}
