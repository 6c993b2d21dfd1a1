package org.redisalerts.bench;

import java.nio.ByteBuffer;
import java.util.BitSet;
import org.redisalerts.bench.ws.WsConnection;
import org.redisalerts.bench.ws.WsListener;

/**
 * One load-test connection: identifies once, then, phase by phase (a warm-up, then the measured
 * run), counts alerts, checks their order and records the latency from publish ({@code "t"}, this
 * JVM's nanoTime) to receipt. Runs on its connection's loop thread.
 */
final class BenchClient implements WsListener {

  private static final byte[] SEQ = "\"seq\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] T = "\"t\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] CONNECTED =
      "you are now connected".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] ACK_TRUE =
      "\"ack\":true".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** What one phase expects of this connection and what it got; loop thread only. */
  static final class Tally {
    final AlertPhase phase;
    final BitSet seen;
    int received;
    int distinct;
    int duplicates;
    int outOfOrder;
    int highest = -1;
    volatile long lastReceipt;

    Tally(AlertPhase phase) {
      this.phase = phase;
      this.seen = new BitSet(phase.alertsPerKey());
    }
  }

  final int keyIndex;
  final String key;
  private final ClientFleet fleet;
  WsConnection connection;

  /** Connects made for this client so far; only its loop thread and the fleet's constructor. */
  int attempts;

  private boolean replied;
  private volatile long identifiedAt;
  private volatile Tally tally;

  /** Its acknowledgements, when it identifies with {@code "ack":true}; null otherwise. */
  private final AckPacer acks;

  BenchClient(int keyIndex, String key, ClientFleet fleet) {
    this.keyIndex = keyIndex;
    this.key = key;
    this.fleet = fleet;
    this.acks = fleet.identify().acks() ? new AckPacer() : null;
  }

  /** Acks sent so far (0 for a client that does not acknowledge). */
  long acksSent() {
    return acks == null ? 0 : acks.acksSent();
  }

  /** When the identify reply arrived (nanoTime); 0 if it has not. */
  long identifiedAt() {
    return identifiedAt;
  }

  /** Starts counting a phase; call only between phases, before its alerts are published. */
  void startPhase(AlertPhase phase) {
    tally = new Tally(phase);
  }

  Tally tally() {
    return tally;
  }

  @Override
  public void onOpen(WsConnection c) {
    c.sendText(fleet.identify().json(key));
  }

  @Override
  public void onText(WsConnection c, ByteBuffer payload) {
    long now = System.nanoTime();
    if (!replied) {
      replied = true;
      boolean connected = indexOf(payload, CONNECTED, payload.position()) >= 0;
      if (connected && (acks == null || indexOf(payload, ACK_TRUE, payload.position()) >= 0)) {
        identifiedAt = now;
        fleet.identified(this);
      } else {
        fleet.refused(this);
      }
      return;
    }
    if (acks != null) {
      acks.received(c); // every alert since the reply counts, measured or not
    }
    Tally t = tally;
    if (t == null) {
      fleet.unexpected();
      return;
    }
    int seqAt = indexOf(payload, SEQ, payload.position());
    int tAt = seqAt < 0 ? -1 : indexOf(payload, T, seqAt);
    if (tAt < 0) {
      fleet.unexpected();
      return;
    }
    int seq = (int) number(payload, seqAt + SEQ.length);
    long sent = number(payload, tAt + T.length);
    t.phase.record(c.loopIndex(), Math.max(0, now - sent));
    t.received++;
    t.lastReceipt = now;
    if (seq < 0 || seq >= t.phase.alertsPerKey() || t.seen.get(seq)) {
      t.duplicates++;
      return;
    }
    if (seq < t.highest) {
      t.outOfOrder++;
    }
    t.highest = Math.max(t.highest, seq);
    t.seen.set(seq);
    if (++t.distinct == t.phase.alertsPerKey()) {
      t.phase.complete().countDown();
    }
  }

  @Override
  public void onClosed(WsConnection c, int code, String reason, Throwable cause) {
    if (!c.wasOpen()) {
      fleet.failedHandshake(this, cause);
    } else if (!c.closedByClient()) {
      fleet.closedEarly(this, code, reason);
    }
    if (!replied && !fleet.retry(this)) {
      replied = true;
      fleet.unanswered(this);
    }
  }

  /** Padding that makes {@link #alert} about {@code bytes} long. */
  static String padding(int bytes) {
    return "x".repeat(Math.max(0, bytes - 64));
  }

  /**
   * An alert as this tool publishes it and {@link #onText} reads it: numbered {@code seq}, stamped
   * with this JVM's nanoTime as it is built.
   */
  static String alert(int seq, String padding) {
    return "{\"event\":\"alert\",\"seq\":"
        + seq
        + ",\"t\":"
        + System.nanoTime()
        + ",\"pad\":\""
        + padding
        + "\"}";
  }

  private static int indexOf(ByteBuffer b, byte[] needle, int from) {
    int last = b.limit() - needle.length;
    outer:
    for (int i = from; i <= last; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (b.get(i + j) != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** The decimal integer at {@code at}. */
  private static long number(ByteBuffer b, int at) {
    long n = 0;
    for (int i = at; i < b.limit(); i++) {
      int c = b.get(i);
      if (c < '0' || c > '9') {
        break;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }
}
