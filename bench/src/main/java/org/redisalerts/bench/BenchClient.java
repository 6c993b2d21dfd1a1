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
 * One load-test connection: identifies, then counts alerts, checks their order and records
 * the latency from publish ({@code "t"}, this JVM's nanoTime) to receipt. Callbacks run on
 * the connection's own thread, so clients spread over threads.
 */
final class BenchClient extends WebSocketClient {

  private final String key;
  private final int expected;
  private final Recorder latency;
  private final CountDownLatch identified;
  private final CountDownLatch complete;
  /** Only touched by this connection's thread until {@link #complete} or the timeout. */
  private final BitSet seen;
  private int received;
  private int duplicates;
  private int outOfOrder;
  private int highest = -1;
  private volatile long lastReceipt;
  private boolean replied;

  BenchClient(URI relay, String key, int expected, Recorder latency, CountDownLatch identified,
      CountDownLatch complete) {
    super(relay);
    this.key = key;
    this.expected = expected;
    this.latency = latency;
    this.identified = identified;
    this.complete = complete;
    this.seen = new BitSet(expected);
    setConnectionLostTimeout(0);
    setTcpNoDelay(true);
  }

  void open() throws InterruptedException {
    if (!connectBlocking(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("cannot connect to " + getURI());
    }
    send("{\"event\":\"identify\",\"queue\":\"" + key + "\"}");
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
    int seq = (int) number(message, "\"seq\":");
    long sent = number(message, "\"t\":");
    latency.recordValue(Math.max(0, now - sent));
    received++;
    lastReceipt = now;
    if (seen.get(seq)) {
      duplicates++;
      return;
    }
    if (seq < highest) {
      outOfOrder++;
    }
    highest = Math.max(highest, seq);
    seen.set(seq);
    if (seen.cardinality() == expected) {
      complete.countDown();
    }
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
    return received;
  }

  int distinct() {
    return seen.cardinality();
  }

  int duplicates() {
    return duplicates;
  }

  int outOfOrder() {
    return outOfOrder;
  }

  long lastReceipt() {
    return lastReceipt;
  }
}
