package org.redisalerts.relay.websocket;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.SelectionKey;
import java.nio.charset.CodingErrorAction;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.framing.Framedata;

/**
 * One client's connection as the protocol above sees it: send replies and batches of alerts, close,
 * and carry the protocol's own state. A batch reports, through its callback, how many of its frames
 * were handed on for the socket: it is tracked by its place in the connection's outgoing byte
 * stream, which only the selector thread consumes.
 *
 * <p>Threads: senders call from any thread; the selector thread moves bytes; the connection's
 * decoder thread runs the WebSocket protocol and the {@link SocketHandler} calls.
 */
public final class SocketConnection {

  private static final AtomicLong IDS = new AtomicLong();

  /** Most small frames (replies, pongs) that may wait for a client that does not read. */
  static final int MAX_QUEUED_BUFFERS = 64;

  /** Something the decoder must do besides decoding bytes. */
  sealed interface Signal permits Eof, Flushed, Terminate, Stalled, DeadlinePassed, Task {}

  /** The client's side of the TCP stream ended. */
  record Eof() implements Signal {}

  /** The close frame (or refusal) was written: the TCP connection may close. */
  record Flushed() implements Signal {}

  /** Close the TCP connection now, without a close frame. */
  record Terminate(int code, String reason) implements Signal {}

  /**
   * Output has waited longer than the write timeout for a client that does not read, or a batch
   * longer than it may for one that reads too slowly.
   */
  record Stalled() implements Signal {}

  /** The connection's alert deadline passed: alerts still queued were dropped. */
  record DeadlinePassed() implements Signal {}

  /** Work of the protocol above, to run in order with the connection's other events. */
  record Task(Runnable work) implements Signal {}

  /** A batch queued for the socket and where it lies in the outgoing stream. */
  private static final class PendingBatch {
    final FrameBatch batch;
    final ByteBuffer buffer;
    final BatchCallback callback;

    /** When it was queued ({@link System#nanoTime}). */
    final long queuedAt;

    /** Stream offset of its first byte; -1 until the selector starts writing it. */
    long start = -1;

    PendingBatch(FrameBatch batch, ByteBuffer buffer, BatchCallback callback) {
      this.batch = batch;
      this.buffer = buffer;
      this.callback = callback;
      this.queuedAt = System.nanoTime();
    }
  }

  private final long id = IDS.incrementAndGet();
  private final SocketServer server;
  final Transport transport;
  final WebSocketImpl impl;
  private final InetSocketAddress remote;
  private final String remoteText;
  final Admission admission;
  final long acceptedAt;

  /** Set once by the selector thread after registering. */
  SelectionKey key;

  // ---- input: the selector thread adds, the decoder thread takes ----
  final ConcurrentLinkedQueue<Object> input = new ConcurrentLinkedQueue<>();
  final AtomicBoolean inputScheduled = new AtomicBoolean();
  final AtomicInteger pendingInput = new AtomicInteger();

  /** Only touched by the selector thread. */
  boolean readSuspended;

  /** Only touched by the selector thread. */
  boolean inputEnded;

  /** The HTTP upgrade request as it arrives; null once handed to the library. Decoder only. */
  byte[] head = new byte[0];

  /** The upgrade request was checked and handed to the library. Decoder only. */
  boolean upgraded;

  /** The WebSocket handshake is complete and the handler was told. Written by the decoder. */
  volatile boolean opened;

  /** The handler was told of the close. Decoder only. */
  boolean closeReported;

  /** How the library closed the connection, for the handler; written inside closeConnection. */
  volatile int closeCode;

  volatile String closeReason = "";
  volatile boolean closeRemote;
  volatile boolean closed;

  // ---- output ----
  final AtomicBoolean writeDemand = new AtomicBoolean();

  /** Guarded by itself. */
  private final ArrayDeque<PendingBatch> pending = new ArrayDeque<>(2);

  /** The buffer being written. Selector thread only. */
  private ByteBuffer current;

  /** The batch {@link #current} belongs to, when it is one. Selector thread only. */
  private PendingBatch currentBatch;

  /**
   * When alerts stop being written to this connection (epoch milliseconds; 0: never): a batch not
   * written by then is cut at its next frame boundary and the rest dropped. Any thread may move it.
   */
  private volatile long alertDeadline;

  /** Selector thread only: the deadline was acted on. */
  private boolean deadlineSignalled;

  /** Plaintext bytes taken from the outgoing queue so far. Selector thread only. */
  private long streamPosition;

  /** When the output last moved, or started waiting. */
  volatile long lastOutputProgress;

  /** Selector thread only: output is waiting for the client to read. */
  boolean backlogged;

  /**
   * Held by whichever thread writes the socket: the selector, or a sender writing its own output at
   * once (plain TCP only) rather than waking the selector for it. {@link #flush} and {@link
   * #waitingForSocket} are guarded by it.
   */
  final Object outputLock = new Object();

  /** The socket took less than it was given: the selector writes the rest when it can. */
  boolean waitingForSocket;

  /** Selector thread only: the relay gave up on a client that does not read. */
  boolean stallClosing;

  /** Selector thread only: when {@link #stallClosing} was set. */
  long stallClosingAt;

  /** Selector thread only: the close frame or refusal was written. */
  boolean flushedSignalled;

  final AtomicBoolean finished = new AtomicBoolean();

  volatile long lastPong;
  volatile long lastPing;

  private volatile Object attachment;

  SocketConnection(
      SocketServer server,
      Transport transport,
      WebSocketImpl impl,
      InetSocketAddress remote,
      Admission admission,
      long now) {
    this.server = server;
    this.transport = transport;
    this.impl = impl;
    this.remote = remote;
    this.remoteText =
        remote == null ? "?" : remote.getAddress().getHostAddress() + ":" + remote.getPort();
    this.admission = admission;
    this.acceptedAt = now;
    this.lastPong = now;
  }

  public long id() {
    return id;
  }

  /** The client's address and port as text, for logs. */
  public String remote() {
    return remoteText;
  }

  /** The client's address; null when unknown. */
  public InetAddress address() {
    return remote == null ? null : remote.getAddress();
  }

  InetSocketAddress remoteSocketAddress() {
    return remote;
  }

  /** Whether {@code wss://} serves this connection. */
  public boolean secure() {
    return !(transport instanceof PlainTransport);
  }

  /** The protocol's own state for this connection. */
  @SuppressWarnings("unchecked")
  public <T> T attachment() {
    return (T) attachment;
  }

  public void attach(Object value) {
    this.attachment = value;
  }

  /** Open: handshake done and no close begun. */
  public boolean isOpen() {
    return opened && impl.isOpen();
  }

  /** Sends one text frame (a reply of the relay's own); lost silently once closing. */
  public void sendText(String text) {
    enqueue(FrameBatch.encodeText(text.getBytes(UTF_8)), null);
  }

  /**
   * Queues a batch of alert frames. {@code callback} is told once, on the selector thread, how many
   * frames were handed on for the socket; at once with 0 when the connection is not open.
   */
  public void sendBatch(FrameBatch batch, BatchCallback callback) {
    ByteBuffer buffer = batch.bytes();
    if (!enqueue(buffer, new PendingBatch(batch, buffer, callback))) {
      callback.done(0);
    }
  }

  /**
   * Stops writing alerts at {@code epochMillis} (e.g. when the client's token expires): what is not
   * written by then is not written at all, and the handler is told. 0 for no deadline.
   */
  public void alertsUntil(long epochMillis) {
    this.alertDeadline = epochMillis;
    if (epochMillis != 0) {
      server.demandWrite(this);
    }
  }

  /**
   * Starts the closing handshake: a close frame, then the TCP close once it is written. The reason
   * is cut to what a close frame holds (123 bytes of UTF-8, RFC 6455 5.5).
   */
  public void close(int code, String reason) {
    impl.close(code, fitCloseReason(reason));
  }

  /** Bytes of UTF-8 a close frame's reason may have: 125 for the payload, less the code. */
  static final int MAX_CLOSE_REASON_BYTES = 123;

  /** {@code reason} cut to {@link #MAX_CLOSE_REASON_BYTES} of UTF-8, never inside a character. */
  static String fitCloseReason(String reason) {
    if (reason == null || reason.length() * 3 <= MAX_CLOSE_REASON_BYTES) {
      return reason;
    }
    // The encoder stops before the first character that does not fit whole.
    CharBuffer text = CharBuffer.wrap(reason);
    UTF_8
        .newEncoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .encode(text, ByteBuffer.allocate(MAX_CLOSE_REASON_BYTES), true);
    return reason.substring(0, text.position());
  }

  /** Closes the TCP connection without a close frame (the client is gone or hostile). */
  public void abort(int code, String reason) {
    signal(new Terminate(code, reason));
  }

  /**
   * Runs {@code work} on the connection's decoder thread, in order with its messages and its close
   * (e.g. a deadline that must not race an identify).
   */
  public void execute(Runnable work) {
    signal(new Task(work));
  }

  /** Sends an error text frame and closes with {@code code}. */
  public void refuse(String errorText, int code, String reason) {
    sendText(errorText);
    close(code, reason);
  }

  private boolean enqueue(ByteBuffer buffer, PendingBatch batch) {
    // The library sends its close frame holding this monitor: nothing queued here follows it.
    synchronized (impl) {
      if (!impl.isOpen()) {
        return false;
      }
      if (batch != null) {
        synchronized (pending) {
          pending.add(batch);
        }
      }
      impl.outQueue.add(buffer);
    }
    server.writeSoon(this);
    return true;
  }

  /** Queues a control frame unless the client has let too many pile up. */
  void sendControl(Framedata frame) {
    if (impl.outQueue.size() < MAX_QUEUED_BUFFERS) {
      enqueue(impl.getDraft().createBinaryFrame(frame), null);
    }
  }

  void signal(Signal signal) {
    input.add(signal);
    server.decode(this);
  }

  // ---- whichever thread holds outputLock ----

  /**
   * Writes what the socket takes. Guarded by {@link #outputLock}.
   *
   * @return true when output remains that the socket did not take
   */
  boolean flush() throws IOException {
    long handedBefore = transport.handedOn();
    boolean more = !transport.flush();
    while (!more) {
      ByteBuffer buffer = current;
      if (buffer == null) {
        buffer = impl.outQueue.peek();
        if (buffer == null) {
          break;
        }
        current = buffer;
        currentBatch = starting(buffer);
      }
      if (currentBatch != null && pastDeadline()) {
        cutAlerts();
      }
      int before = buffer.position();
      transport.write(buffer);
      streamPosition += buffer.position() - before;
      if (buffer.hasRemaining()) {
        more = true;
      } else {
        impl.outQueue.poll();
        current = null;
        currentBatch = null;
        more = !transport.flush();
      }
    }
    if (!deadlineSignalled && pastDeadline()) {
      cutAlerts();
    }
    if (transport.handedOn() != handedBefore) {
      lastOutputProgress = System.nanoTime();
    }
    completeWritten(transport.handedOn());
    if (!more && !flushedSignalled && impl.isFlushAndClose() && impl.outQueue.isEmpty()) {
      flushedSignalled = true;
      signal(new Flushed());
    }
    return more || current != null || !impl.outQueue.isEmpty();
  }

  /**
   * The least a client must take per write timeout: a batch gets one write timeout for each of
   * these it holds (at least one), so a client that keeps this pace is never too slow, however
   * large an alert it meets, and one that does not is closed whatever it reads meanwhile.
   */
  static final long BYTES_PER_WRITE_TIMEOUT = 1L << 20;

  /**
   * Whether the oldest batch of alerts not yet wholly handed to the socket has waited longer than
   * it may: {@code writeTimeoutNanos} from being queued for each {@link #BYTES_PER_WRITE_TIMEOUT}
   * it holds, at least one.
   */
  boolean batchOverdue(long now, long writeTimeoutNanos) {
    synchronized (pending) {
      PendingBatch first = pending.peek();
      return first != null && overdue(first.queuedAt, first.buffer.limit(), now, writeTimeoutNanos);
    }
  }

  /**
   * Whether a batch of {@code bytes} queued at {@code queuedAt} is overdue at {@code now}: past its
   * {@link #writeBudgetNanos}.
   */
  static boolean overdue(long queuedAt, long bytes, long now, long writeTimeoutNanos) {
    long budget = writeBudgetNanos(bytes, writeTimeoutNanos);
    return budget != Long.MAX_VALUE && now - queuedAt >= budget;
  }

  /**
   * How long a connection may take to be handed a batch of {@code bytes} (frames): one write
   * timeout for each {@link #BYTES_PER_WRITE_TIMEOUT} it holds, at least one; {@link
   * Long#MAX_VALUE} when that does not fit in a long. A relay that forwards a batch to another
   * waits for its report by the same budget.
   */
  public static long writeBudgetNanos(long bytes, long writeTimeoutNanos) {
    long timeouts = Math.max(1, (bytes + BYTES_PER_WRITE_TIMEOUT - 1) / BYTES_PER_WRITE_TIMEOUT);
    return timeouts <= Long.MAX_VALUE / writeTimeoutNanos
        ? writeTimeoutNanos * timeouts
        : Long.MAX_VALUE;
  }

  /** Whether anything waits to be written. Selector thread. */
  boolean hasOutput() {
    return current != null || !impl.outQueue.isEmpty() || transport.wantsWrite();
  }

  private PendingBatch starting(ByteBuffer buffer) {
    synchronized (pending) {
      for (PendingBatch p : pending) {
        if (p.start < 0) {
          if (p.buffer == buffer) {
            p.start = streamPosition;
            return p;
          }
          return null;
        }
      }
    }
    return null;
  }

  private boolean pastDeadline() {
    long deadline = alertDeadline;
    return deadline != 0 && System.currentTimeMillis() >= deadline;
  }

  /**
   * The deadline passed: the batch being written ends at its next frame boundary (a frame begun
   * before the deadline is finished, so the stream stays valid), batches not begun are dropped, and
   * the handler is told. Selector thread.
   */
  private void cutAlerts() {
    List<PendingBatch> dropped = new ArrayList<>();
    synchronized (pending) {
      for (java.util.Iterator<PendingBatch> it = pending.iterator(); it.hasNext(); ) {
        PendingBatch p = it.next();
        if (p == currentBatch) {
          p.buffer.limit(p.batch.boundaryAtOrAfter(p.buffer.position()));
        } else if (p.start < 0) {
          it.remove();
          dropped.add(p);
        }
      }
    }
    for (PendingBatch p : dropped) {
      impl.outQueue.removeIf(b -> b == p.buffer);
      p.callback.done(0);
    }
    if (!deadlineSignalled) {
      deadlineSignalled = true;
      signal(new DeadlinePassed());
    }
  }

  private void completeWritten(long handedOn) {
    List<PendingBatch> done = null;
    synchronized (pending) {
      PendingBatch p;
      while ((p = pending.peek()) != null
          && p.start >= 0
          && p.start + p.buffer.limit() <= handedOn
          && p != currentBatch) {
        pending.poll();
        if (done == null) {
          done = new ArrayList<>(2);
        }
        done.add(p);
      }
    }
    if (done != null) {
      for (PendingBatch p : done) {
        p.callback.done(p.batch.framesWithin(p.buffer.limit()));
      }
    }
  }

  /** The socket is closed: tells every batch still pending how much of it got out. */
  void completeAfterClose() {
    long handedOn = transport.handedOn();
    List<PendingBatch> left;
    synchronized (pending) {
      left = new ArrayList<>(pending);
      pending.clear();
    }
    for (PendingBatch p : left) {
      p.callback.done(p.start < 0 ? 0 : p.batch.framesWithin(Math.max(0, handedOn - p.start)));
    }
  }

  @Override
  public String toString() {
    return "#" + id + " " + remoteText;
  }
}
