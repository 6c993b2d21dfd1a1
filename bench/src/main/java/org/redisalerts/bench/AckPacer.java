package org.redisalerts.bench;

import org.redisalerts.bench.ws.WsClientLoops;
import org.redisalerts.bench.ws.WsConnection;

/**
 * The acknowledgements of one client that identified with {@code "ack":true} (SPEC 9): each ack
 * gives the count of alerts received since the identify reply (cumulative), one per turn of the
 * connection's loop, so a batch read at once is acknowledged at once, with one ack. An ack that
 * confirms new alerts does not count against the relay's per-client message budget, so none is held
 * back. Only touched by the connection's loop thread.
 */
final class AckPacer {

  private long received;
  private long acked;
  private volatile long sent; // written by the loop thread only

  /** Whether an ack is queued for the loop's next turn. */
  private boolean queued;

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
    acked = received;
    sent++;
    connection.sendText("{\"event\":\"ack\",\"count\":" + received + "}");
  }
}
