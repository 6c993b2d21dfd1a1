package org.redisalerts.bench;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Recorder;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

/**
 * One load-test connection: identifies once, then, phase by phase (a warm-up, then the measured
 * run), counts alerts, checks their order and records the latency from publish ({@code "t"}, this
 * JVM's nanoTime) to receipt. Callbacks run on the connection's own thread, so clients spread over
 * threads.
 */
final class BenchClient extends WebSocketClient {

  /** What one phase expects and what it got; written by the connection's thread only. */
  private static final class Phase {
    final int expected;
    final Recorder latency;
    final CountDownLatch complete;
    final BitSet seen;
    int received;
    int distinct;
    int duplicates;
    int outOfOrder;
    int highest = -1;
    volatile long lastReceipt;

    Phase(int expected, Recorder latency, CountDownLatch complete) {
      this.expected = expected;
      this.latency = latency;
      this.complete = complete;
      this.seen = new BitSet(expected);
    }
  }

  private final String key;
  private final CountDownLatch identified;
  private boolean replied;
  private volatile Phase phase;

  BenchClient(URI relay, String key, CountDownLatch identified) {
    super(relay);
    this.key = key;
    this.identified = identified;
    setConnectionLostTimeout(0);
    setTcpNoDelay(true);
  }

  void open() throws InterruptedException {
    if (!connectBlocking(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("cannot connect to " + getURI());
    }
    send("{\"event\":\"identify\",\"queue\":\"" + key + "\"}");
  }

  /**
   * Starts counting a new phase of {@code expected} alerts numbered from 0; call only once the
   * previous phase is complete, before its alerts are published.
   */
  void startPhase(int expected, Recorder latency, CountDownLatch complete) {
    phase = new Phase(expected, latency, complete);
  }

  @Override
  public void onOpen(ServerHandshake handshake) {}

  @Override
  public void onMessage(String message) {
    long now = System.nanoTime();
    if (!replied) {
      replied = true;
      identified.countDown();
      return;
    }
    Phase p = phase;
    int seq = (int) number(message, "\"seq\":");
    long sent = number(message, "\"t\":");
    p.latency.recordValue(Math.max(0, now - sent));
    p.received++;
    p.lastReceipt = now;
    if (p.seen.get(seq)) {
      p.duplicates++;
      return;
    }
    if (seq < p.highest) {
      p.outOfOrder++;
    }
    p.highest = Math.max(p.highest, seq);
    p.seen.set(seq);
    if (++p.distinct == p.expected) {
      p.complete.countDown();
    }
  }

  /** Padding that makes {@link #alert} about {@code bytes} long. */
  static String padding(int bytes) {
    return "x".repeat(Math.max(0, bytes - 64));
  }

  /**
   * An alert as this tool publishes it and {@link #onMessage(String)} reads it: numbered {@code
   * seq}, stamped with this JVM's nanoTime as it is built.
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

  /** The integer after {@code field} in a frame this tool built. */
  private static long number(String frame, String field) {
    int i = frame.indexOf(field) + field.length();
    long n = 0;
    while (i < frame.length()) {
      char c = frame.charAt(i++);
      if (c < '0' || c > '9') {
        break;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  @Override
  public void onMessage(ByteBuffer bytes) {}

  @Override
  public void onClose(int code, String reason, boolean remote) {}

  @Override
  public void onError(Exception ex) {}

  int received() {
    return phase.received;
  }

  int distinct() {
    return phase.distinct;
  }

  int duplicates() {
    return phase.duplicates;
  }

  int outOfOrder() {
    return phase.outOfOrder;
  }

  long lastReceipt() {
    return phase.lastReceipt;
  }
}
