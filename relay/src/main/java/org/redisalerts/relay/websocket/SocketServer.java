package org.redisalerts.relay.websocket;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.PingFrame;
import org.java_websocket.framing.PongFrame;
import org.java_websocket.handshake.Handshakedata;
import org.redisalerts.common.LogText;
import org.redisalerts.relay.monitoring.RelayMetrics;
import org.redisalerts.relay.monitoring.RelayMetrics.Refusal;
import org.redisalerts.relay.monitoring.ThrottledLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket listener: one selector thread accepts, reads and writes; decoder threads run the
 * WebSocket protocol (Java-WebSocket's {@link WebSocketImpl} and {@link Draft}, which this class
 * drives) and the {@link SocketHandler}. It is the only code that touches the library, and it holds
 * every bound a client could otherwise step around: connections counted from accept (overall and
 * per address), a deadline for the TLS and WebSocket handshakes, a size limit on the upgrade
 * request and on every message as assembled, a cap on what is read ahead of the decoders, on
 * control frames queued for a client that does not read, and on how long output may wait for it.
 *
 * <p>Why not the library's own {@code WebSocketServer}: it has no hook at accept (so connections
 * that never complete a handshake are invisible and never time out), a listen backlog of 50, an
 * upgrade request buffered without bound, a write path that loses a connection's write interest
 * when another thread queues a frame at the wrong moment, a TLS channel that spins on a silent
 * client (upstream issue 896), and no way to learn which bytes reached the socket. The protocol
 * itself (handshake, framing, closing) stays the library's.
 */
public final class SocketServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SocketServer.class);

  /** Bytes read ahead of a connection's decoder before the relay stops reading it. */
  static final int MAX_PENDING_INPUT = 32 * 1024;

  /**
   * Bytes read ahead of the decoders and held in unfinished upgrade requests, all connections
   * together, before the relay stops reading any: what a crowd of clients sending as fast as they
   * can may make it hold, whatever their number.
   */
  static final long MAX_PENDING_INPUT_TOTAL = 16L << 20;

  /**
   * The kernel's send buffer of each connection (Linux doubles it for its own bookkeeping). Left to
   * itself the kernel grows it to 4 MB on a connection that does not read: alerts handed to such a
   * socket are trimmed from their list and lost with it, the slow-client rules see no back-pressure
   * until megabytes later, and a crowd of stalled clients makes the kernel hold gigabytes. 64 KiB
   * still carries about a megabyte a second to a client 100 ms away.
   */
  static final int SEND_BUFFER_BYTES = 64 * 1024;

  /** How often deadlines and stalls are checked. */
  private static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  /** How long a close frame may take to reach a client that stopped reading. */
  private static final long STALLED_CLOSE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

  /** How long accepting pauses when the process is out of file descriptors. */
  private static final long ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /** Connections past an address's limit that may still be told why they go. */
  private static final int ADDRESS_RESERVE = 8;

  private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

  private final SocketSettings settings;
  private final SocketHandler handler;
  private final RelayMetrics metrics;
  private final ThrottledLog throttled;

  /** Whether an unexpected failure serving a client was logged with its stack trace already. */
  private final AtomicBoolean failureTraced = new AtomicBoolean();

  private final Adapter adapter = new Adapter();
  private final Draft draft;
  private final Selector selector;
  private final ServerSocketChannel server;
  private final Thread selectorThread;
  private final Decoder[] decoders;
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Work for the selector thread from other threads. */
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();

  private final Queue<SocketConnection> writeDemands = new ConcurrentLinkedQueue<>();

  /** True while the selector thread is (about to be) blocked in select. */
  private final AtomicBoolean selecting = new AtomicBoolean();

  /** Every accepted connection not yet finished. */
  private final Set<SocketConnection> connections = ConcurrentHashMap.newKeySet();

  /** Accepted connections whose handshakes are not complete. Selector thread only. */
  private final Set<SocketConnection> handshaking = ConcurrentHashMap.newKeySet();

  /** Connections whose output waits for the client. Selector thread only. */
  private final Set<SocketConnection> backlogged = ConcurrentHashMap.newKeySet();

  private final AtomicInteger held = new AtomicInteger();

  /** Bytes read and not yet decoded, all connections together (upgrade requests included). */
  private final java.util.concurrent.atomic.AtomicLong pendingInputTotal =
      new java.util.concurrent.atomic.AtomicLong();

  /** Connections not read for now because {@link #pendingInputTotal} is over its cap. */
  private final Queue<SocketConnection> starved = new ConcurrentLinkedQueue<>();

  private final Map<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();

  /** Selector thread only. */
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(16 * 1024);

  private SelectionKey acceptKey;
  private long acceptPausedUntil;
  private long nextSweep;
  private long nextPing;
  private volatile boolean running;
  private volatile boolean accepting = true;

  public SocketServer(SocketSettings settings, SocketHandler handler, RelayMetrics metrics)
      throws IOException {
    this.settings = settings;
    this.handler = handler;
    this.metrics = metrics;
    this.throttled = new ThrottledLog(log, Duration.ofMinutes(1));
    this.draft = new LimitedDraft(settings.maxMessageBytes());
    this.selector = Selector.open();
    this.server = ServerSocketChannel.open();
    this.selectorThread = new Thread(this::run, "relay-selector");
    this.decoders = new Decoder[settings.decoders()];
    for (int i = 0; i < decoders.length; i++) {
      decoders[i] = new Decoder("relay-decoder-" + (i + 1));
    }
  }

  /** Binds and starts serving; returns once clients can connect. */
  public void start() throws IOException {
    try {
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(new InetSocketAddress(settings.bind(), settings.port()), settings.backlog());
      server.configureBlocking(false);
      acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException e) {
      closeQuietly();
      throw new IOException(
          "cannot listen on " + settings.bind() + ":" + settings.port() + ": " + e.getMessage(), e);
    } catch (UnresolvedAddressException e) {
      closeQuietly();
      throw new IllegalArgumentException(
          "cannot listen on "
              + settings.bind()
              + ":"
              + settings.port()
              + ": --bind names no known"
              + " host",
          e);
    }
    running = true;
    long now = System.nanoTime();
    nextSweep = now + SWEEP_NANOS;
    nextPing = now + settings.pingInterval().toNanos();
    for (Decoder d : decoders) {
      d.thread.start();
    }
    selectorThread.start();
  }

  /** The bound port. */
  public int port() {
    return server.socket().getLocalPort();
  }

  /** TCP connections held now, from accept to close, handshaking or not. */
  public int heldConnections() {
    return held.get();
  }

  /** Stops accepting new connections; those open stay. */
  public void stopAccepting() {
    accepting = false;
    runOnSelector(
        () -> {
          if (acceptKey != null) {
            acceptKey.cancel();
          }
          try {
            server.close();
          } catch (IOException e) {
            log.debug("closing the listening socket: {}", e.toString());
          }
        });
  }

  /** Starts the closing handshake on every open connection. */
  public void closeAll(int code, String reason) {
    for (SocketConnection c : connections) {
      if (c.opened) {
        c.close(code, reason);
      } else {
        c.abort(code, reason);
      }
    }
  }

  /**
   * Waits until every connection has closed, up to {@code timeout}; then closes the rest without
   * ceremony.
   *
   * @return whether all closed in time
   */
  public boolean awaitClosed(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (connections) {
      while (!connections.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(connections, left);
      }
    }
    boolean all = connections.isEmpty();
    for (SocketConnection c : connections) {
      c.abort(CloseFrame.GOING_AWAY, "relay stopped");
    }
    return all;
  }

  /** Stops every thread of this listener; idempotent. */
  @Override
  public void close() {
    if (!running) {
      closeQuietly();
      return;
    }
    running = false;
    selector.wakeup();
    try {
      if (!stopped.await(5, TimeUnit.SECONDS)) {
        log.warn("the selector thread did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Decoder d : decoders) {
      d.thread.interrupt();
    }
    for (SocketConnection c : connections) {
      c.transport.close();
      finish(c);
    }
    closeQuietly();
  }

  private void closeQuietly() {
    try {
      server.close();
    } catch (IOException e) {
      log.debug("closing the listening socket: {}", e.toString());
    }
    try {
      selector.close();
    } catch (IOException e) {
      log.debug("closing the selector: {}", e.toString());
    }
  }

  // ---- called from any thread ----

  /**
   * Output was queued on {@code c}: the calling thread writes it at once when it may (plain TCP,
   * not the selector thread, the socket not already full), sparing the selector a wake-up per
   * frame; otherwise, or for what the socket does not take, the selector does.
   */
  void writeSoon(SocketConnection c) {
    if (Thread.currentThread() == selectorThread
        || !(c.transport instanceof PlainTransport)
        || c.finished.get()
        || Thread.holdsLock(c.outputLock)) {
      demandWrite(c);
      return;
    }
    boolean more;
    synchronized (c.outputLock) {
      if (c.waitingForSocket) {
        return; // the selector is waiting for the socket and will write this too
      }
      try {
        more = c.flush();
      } catch (IOException e) {
        more = false;
        c.signal(new SocketConnection.Terminate(CloseFrame.ABNORMAL_CLOSE, "write failed"));
      }
      c.waitingForSocket = more;
    }
    if (more) {
      demandWrite(c);
    }
  }

  void demandWrite(SocketConnection c) {
    if (!c.writeDemand.getAndSet(true)) {
      writeDemands.add(c);
      wakeSelector();
    }
  }

  void decode(SocketConnection c) {
    if (!c.inputScheduled.getAndSet(true)) {
      decoders[(int) (c.id() % decoders.length)].queue.add(c);
    }
  }

  private void runOnSelector(Runnable task) {
    tasks.add(task);
    wakeSelector();
  }

  private void wakeSelector() {
    if (selecting.get()) {
      selector.wakeup();
    }
  }

  // ---- the selector thread ----

  private void run() {
    try {
      while (running) {
        selecting.set(true);
        long timeout = Math.max(1, (nextSweep - System.nanoTime()) / 1_000_000);
        if (!tasks.isEmpty() || !writeDemands.isEmpty()) {
          selector.selectNow(this::ready);
        } else {
          selector.select(this::ready, timeout);
        }
        selecting.set(false);
        runTasks();
        drainWriteDemands();
        long now = System.nanoTime();
        if (now - nextSweep >= 0) {
          sweep(now);
          nextSweep = now + SWEEP_NANOS;
        }
      }
    } catch (ClosedSelectorException e) {
      // Closed while stopping.
    } catch (IOException | RuntimeException e) {
      log.error("the WebSocket selector failed; no client can be served", e);
    } finally {
      stopped.countDown();
    }
  }

  private void runTasks() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      task.run();
    }
  }

  private void drainWriteDemands() {
    SocketConnection c;
    while ((c = writeDemands.poll()) != null) {
      c.writeDemand.getAndSet(false);
      write(c);
    }
  }

  private void ready(SelectionKey key) {
    try {
      if (key == acceptKey) {
        accept();
        return;
      }
      SocketConnection c = (SocketConnection) key.attachment();
      if (key.isReadable()) {
        read(c);
      }
      if (key.isValid() && key.isWritable()) {
        write(c);
      }
    } catch (CancelledKeyException e) {
      // Closed by another thread meanwhile.
    }
  }

  private void accept() {
    if (!accepting) {
      return;
    }
    for (int i = 0; i < 256; i++) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (IOException e) {
        // Typically out of file descriptors: stop selecting the listener for a moment, or the
        // pending connection would wake the selector again at once, forever.
        throttled.warn("accept", "cannot accept connections: " + e.getMessage());
        acceptKey.interestOps(0);
        acceptPausedUntil = System.nanoTime() + ACCEPT_PAUSE_NANOS;
        return;
      }
      if (channel == null) {
        return;
      }
      admit(channel);
    }
  }

  private void admit(SocketChannel channel) {
    metrics.accepted();
    InetSocketAddress remote;
    try {
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      channel.setOption(StandardSocketOptions.SO_SNDBUF, SEND_BUFFER_BYTES);
      remote = (InetSocketAddress) channel.getRemoteAddress();
    } catch (IOException e) {
      closeChannel(channel);
      return;
    }
    Admission admission = Admission.ADMITTED;
    int count = held.incrementAndGet();
    if (count > settings.maxConnections()) {
      if (count > settings.maxConnections() + settings.refusalReserve()) {
        held.decrementAndGet();
        refuseAtOnce(channel, Refusal.TOO_MANY_CONNECTIONS, remote);
        return;
      }
      admission = Admission.OVER_LIMIT;
    }
    InetAddress address = remote.getAddress();
    if (settings.maxConnectionsPerIp() > 0) {
      int fromAddress =
          perAddress.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet();
      if (fromAddress > settings.maxConnectionsPerIp()) {
        if (fromAddress > settings.maxConnectionsPerIp() + ADDRESS_RESERVE) {
          releaseAddress(address);
          held.decrementAndGet();
          refuseAtOnce(channel, Refusal.TOO_MANY_FROM_ADDRESS, remote);
          return;
        }
        if (admission == Admission.ADMITTED) {
          admission = Admission.OVER_ADDRESS_LIMIT;
        }
      }
    }
    Transport transport =
        settings.tls() == null
            ? new PlainTransport(channel)
            : new TlsTransport(channel, settings.tls().newEngine());
    WebSocketImpl impl = new WebSocketImpl(adapter, List.of(draft));
    long now = System.nanoTime();
    SocketConnection c = new SocketConnection(this, transport, impl, remote, admission, now);
    impl.setAttachment(c);
    impl.setChannel(new ChannelHandle(c));
    try {
      c.key = channel.register(selector, SelectionKey.OP_READ, c);
    } catch (IOException e) {
      transport.close();
      held.decrementAndGet();
      if (settings.maxConnectionsPerIp() > 0) {
        releaseAddress(address);
      }
      return;
    }
    connections.add(c);
    handshaking.add(c);
    if (transport.wantsWrite()) {
      write(c);
    }
  }

  private void refuseAtOnce(SocketChannel channel, Refusal why, InetSocketAddress remote) {
    metrics.refused(why);
    throttled.info(
        why.name(),
        "connection refused at accept: "
            + (why == Refusal.TOO_MANY_CONNECTIONS
                ? settings.maxConnections() + " connections are held"
                : "its address holds " + settings.maxConnectionsPerIp() + " connections")
            + " client="
            + remote.getAddress().getHostAddress());
    closeChannel(channel);
  }

  private static void closeChannel(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // Nothing more to do with a socket that would not close.
    }
  }

  private void releaseAddress(InetAddress address) {
    perAddress.computeIfPresent(address, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  private void read(SocketConnection c) {
    if (pendingInputTotal.get() > MAX_PENDING_INPUT_TOTAL) {
      if (!c.readSuspended) {
        c.readSuspended = true;
        updateInterest(c, c.hasOutput());
        starved.add(c);
      }
      return;
    }
    readBuffer.clear();
    int n;
    try {
      n = c.transport.read(readBuffer);
    } catch (IOException e) {
      c.inputEnded = true;
      updateInterest(c, c.hasOutput());
      c.signal(new SocketConnection.Terminate(CloseFrame.ABNORMAL_CLOSE, "read failed"));
      return;
    }
    if (n < 0) {
      c.inputEnded = true;
      updateInterest(c, c.hasOutput());
      c.signal(new SocketConnection.Eof());
      return;
    }
    if (n > 0) {
      readBuffer.flip();
      ByteBuffer copy = ByteBuffer.allocate(n);
      copy.put(readBuffer).flip();
      c.input.add(copy);
      pendingInputTotal.addAndGet(n);
      if (c.pendingInput.addAndGet(n) > MAX_PENDING_INPUT && !c.readSuspended) {
        c.readSuspended = true;
        updateInterest(c, c.hasOutput());
      }
      decode(c);
    }
    if (c.transport.wantsWrite()) {
      write(c);
    }
  }

  private void write(SocketConnection c) {
    if (c.finished.get() || c.key == null || !c.key.isValid()) {
      return;
    }
    boolean more;
    synchronized (c.outputLock) {
      try {
        more = c.flush();
      } catch (IOException e) {
        c.waitingForSocket = false;
        c.inputEnded = true;
        updateInterest(c, false);
        c.signal(new SocketConnection.Terminate(CloseFrame.ABNORMAL_CLOSE, "write failed"));
        return;
      }
      c.waitingForSocket = more;
    }
    updateInterest(c, more);
    if (more) {
      if (!c.backlogged) {
        c.backlogged = true;
        c.lastOutputProgress = System.nanoTime();
        backlogged.add(c);
      }
    } else if (c.backlogged) {
      c.backlogged = false;
      backlogged.remove(c);
    }
  }

  private void updateInterest(SocketConnection c, boolean writing) {
    SelectionKey key = c.key;
    if (key == null || !key.isValid()) {
      return;
    }
    int ops =
        (c.readSuspended || c.inputEnded ? 0 : SelectionKey.OP_READ)
            | (writing ? SelectionKey.OP_WRITE : 0);
    try {
      if (key.interestOps() != ops) {
        key.interestOps(ops);
      }
    } catch (CancelledKeyException e) {
      // Closed meanwhile.
    }
  }

  /** Deadlines, stalls and pings; also resumes accepting after a pause. */
  private void sweep(long now) {
    if (acceptPausedUntil != 0 && now - acceptPausedUntil >= 0 && acceptKey.isValid()) {
      acceptPausedUntil = 0;
      acceptKey.interestOps(SelectionKey.OP_ACCEPT);
    }
    long handshakeTimeout = settings.handshakeTimeout().toNanos();
    for (SocketConnection c : handshaking) {
      if (c.opened) {
        handshaking.remove(c);
      } else if (now - c.acceptedAt >= handshakeTimeout) {
        handshaking.remove(c);
        metrics.refused(Refusal.HANDSHAKE_TIMEOUT);
        throttled.info(
            "handshake-timeout",
            "client closed: handshake not completed within "
                + settings.handshakeTimeout().toMillis()
                + " ms client="
                + c);
        c.abort(CloseFrame.NEVER_CONNECTED, "handshake not completed in time");
      }
    }
    long writeTimeout = settings.writeTimeout().toNanos();
    for (SocketConnection c : backlogged) {
      // Too slow: nothing taken for the write timeout, or a batch not wholly taken within it of
      // being queued, one write timeout per MiB (a client that reads just enough to keep the
      // socket moving is no faster).
      if (!c.stallClosing
          && (now - c.lastOutputProgress >= writeTimeout || c.batchOverdue(now, writeTimeout))) {
        c.stallClosing = true;
        c.stallClosingAt = now;
        c.signal(new SocketConnection.Stalled());
      } else if (c.stallClosing && now - c.stallClosingAt >= STALLED_CLOSE_GRACE_NANOS) {
        // Its close frame waits behind what it did not read: it gets no longer than this.
        backlogged.remove(c);
        c.abort(CloseFrame.POLICY_VALIDATION, "too slow");
      }
    }
    if (now - nextPing >= 0) {
      nextPing = now + settings.pingInterval().toNanos();
      ping(now);
    }
    throttled.flush();
  }

  private void ping(long now) {
    PingFrame ping = new PingFrame();
    for (SocketConnection c : connections) {
      if (!c.isOpen() || c.stallClosing) {
        continue; // a stalled connection is already being closed, as too slow, and logged so
      }
      if (c.lastPing != 0 && c.lastPong - c.lastPing < 0) {
        metrics.refused(Refusal.NO_PONG);
        log.info("client dropped: no pong since the last ping client={}", c);
        c.abort(CloseFrame.ABNORMAL_CLOSE, "no pong");
      } else {
        c.lastPing = now;
        c.sendControl(ping);
      }
    }
  }

  /** After the socket closed (any thread): lets the selector release what the connection held. */
  void closed(SocketConnection c) {
    c.closed = true;
    c.transport.close();
    runOnSelector(() -> finish(c));
  }

  private void finish(SocketConnection c) {
    if (!c.finished.compareAndSet(false, true)) {
      return;
    }
    if (c.key != null) {
      c.key.cancel();
    }
    synchronized (c.outputLock) {
      c.completeAfterClose();
    }
    connections.remove(c);
    handshaking.remove(c);
    backlogged.remove(c);
    held.decrementAndGet();
    if (connections.isEmpty()) {
      synchronized (connections) {
        connections.notifyAll();
      }
    }
    if (settings.maxConnectionsPerIp() > 0 && c.address() != null) {
      releaseAddress(c.address());
    }
  }

  private void resumeReading(SocketConnection c) {
    runOnSelector(
        () -> {
          if (c.readSuspended && c.pendingInput.get() <= MAX_PENDING_INPUT / 2) {
            c.readSuspended = false;
            updateInterest(c, c.hasOutput());
          }
        });
  }

  // ---- the decoder threads ----

  /** One decoder thread; a connection is always decoded by the same one, so in order. */
  private final class Decoder {
    final Thread thread;
    final java.util.concurrent.LinkedBlockingQueue<SocketConnection> queue =
        new java.util.concurrent.LinkedBlockingQueue<>();

    Decoder(String name) {
      thread = new Thread(this::run, name);
      thread.setDaemon(true);
    }

    private void run() {
      try {
        while (true) {
          SocketConnection c = queue.take();
          while (true) {
            drain(c);
            c.inputScheduled.set(false);
            if (c.input.isEmpty() || c.inputScheduled.getAndSet(true)) {
              break;
            }
          }
        }
      } catch (InterruptedException e) {
        // Stopping.
      }
    }
  }

  private void drain(SocketConnection c) {
    Object item;
    while ((item = c.input.poll()) != null) {
      try {
        if (item instanceof ByteBuffer data) {
          int n = data.remaining();
          int kept = 0;
          if (!c.closed) {
            if (c.head != null) {
              int before = c.head.length;
              upgradeRequest(c, data);
              // Bytes still waiting in an unfinished upgrade request stay counted.
              kept = (c.head == null ? 0 : c.head.length) - before;
            } else if (c.upgraded) {
              c.impl.decode(data);
            }
            // Otherwise the upgrade was refused: whatever follows is dropped.
          }
          inputDone(c, n, kept);
        } else if (item instanceof SocketConnection.Eof) {
          releaseHead(c);
          c.impl.eot();
        } else if (item instanceof SocketConnection.Flushed) {
          c.impl.closeConnection();
        } else if (item instanceof SocketConnection.Terminate t) {
          releaseHead(c);
          c.impl.closeConnection(t.code(), t.reason(), false);
        } else if (item instanceof SocketConnection.Stalled) {
          if (c.opened && !c.closed) {
            handler.tooSlow(c);
          }
        } else if (item instanceof SocketConnection.DeadlinePassed) {
          if (c.opened && !c.closed) {
            handler.deadlinePassed(c);
          }
        } else if (item instanceof SocketConnection.Task task) {
          task.work().run();
        }
      } catch (RuntimeException e) {
        // A defect, here or in the library, that a client's bytes may set off again and again: the
        // first one with its stack, the rest at most one line a minute.
        if (failureTraced.compareAndSet(false, true)) {
          log.error("unexpected failure serving client={}; closing it", c, e);
        } else {
          throttled.warn(
              "failure", "unexpected failure serving client=" + c + "; closing it: " + e);
        }
        c.impl.closeConnection(CloseFrame.UNEXPECTED_CONDITION, "internal error", false);
      }
      reportClose(c);
    }
  }

  /** {@code n} bytes read were decoded, {@code kept} of them are held in the upgrade request. */
  private void inputDone(SocketConnection c, int n, int kept) {
    long total = pendingInputTotal.addAndGet(kept - n);
    if (c.pendingInput.addAndGet(-n) <= MAX_PENDING_INPUT / 2 && c.readSuspended) {
      resumeReading(c);
    }
    if (total <= MAX_PENDING_INPUT_TOTAL / 2 && !starved.isEmpty()) {
      runOnSelector(this::resumeStarved);
    }
  }

  /** Forgets an unfinished upgrade request (the connection is closing). Decoder thread. */
  private void releaseHead(SocketConnection c) {
    if (c.head != null && c.head.length > 0) {
      pendingInputTotal.addAndGet(-c.head.length);
      c.head = null;
    }
  }

  private void resumeStarved() {
    SocketConnection c;
    while (pendingInputTotal.get() <= MAX_PENDING_INPUT_TOTAL / 2 && (c = starved.poll()) != null) {
      if (c.readSuspended && c.pendingInput.get() <= MAX_PENDING_INPUT / 2) {
        c.readSuspended = false;
        updateInterest(c, c.hasOutput());
      }
    }
  }

  private void reportClose(SocketConnection c) {
    if (c.closed && c.opened && !c.closeReported) {
      c.closeReported = true;
      handler.closed(c, c.closeCode, c.closeReason, c.closeRemote);
    }
  }

  /**
   * Collects the HTTP upgrade request (bounded), checks it before the library sees it, then hands
   * it on. Decoder thread.
   */
  private void upgradeRequest(SocketConnection c, ByteBuffer data) {
    byte[] head = new byte[c.head.length + data.remaining()];
    System.arraycopy(c.head, 0, head, 0, c.head.length);
    data.get(head, c.head.length, data.remaining());
    int end = indexOf(head, END_OF_HEAD);
    if (end < 0 ? head.length > settings.maxHandshakeBytes() : end > settings.maxHandshakeBytes()) {
      refuseUpgrade(
          c,
          Refusal.HANDSHAKE_TOO_LARGE,
          "431 Request Header Fields Too Large",
          "upgrade request over " + settings.maxHandshakeBytes() + " bytes");
      return;
    }
    if (end < 0) {
      c.head = head;
      return;
    }
    UpgradeHead request;
    try {
      request = UpgradeHead.parse(head, end);
    } catch (IllegalArgumentException e) {
      refuseUpgrade(c, Refusal.BAD_HANDSHAKE, "400 Bad Request", "not a WebSocket upgrade");
      return;
    }
    if (!request.asksForWebSocket() || !request.speaksVersion13()) {
      // RFC 6455 4.2.2 and 4.4: say which upgrade this port takes (a plain HTTP request, e.g. a
      // load balancer's health check, learns it is a WebSocket port; health is on --admin-port).
      refuseUpgrade(
          c,
          Refusal.BAD_HANDSHAKE,
          "426 Upgrade Required",
          request.asksForWebSocket()
              ? "WebSocket version " + UpgradeHead.VERSION + " only"
              : "this port takes WebSocket upgrades only",
          "Upgrade: websocket\r\nSec-WebSocket-Version: " + UpgradeHead.VERSION + "\r\n");
      return;
    }
    String problem = request.problem();
    if (problem != null) {
      refuseUpgrade(c, Refusal.BAD_HANDSHAKE, "400 Bad Request", "not a valid upgrade: " + problem);
      return;
    }
    String origin = request.origin();
    if (!settings.origins().allows(origin)) {
      metrics.refused(Refusal.ORIGIN);
      throttled.info(
          "origin:" + origin,
          "client refused: origin "
              + (origin == null ? "missing" : LogText.quote(origin) + " is not allowed")
              + " client="
              + c.remote());
      refuseUpgrade(c, null, "403 Forbidden", "origin not allowed");
      return;
    }
    c.head = null;
    c.upgraded = true;
    c.impl.decode(ByteBuffer.wrap(head));
  }

  private void refuseUpgrade(SocketConnection c, Refusal why, String status, String reason) {
    refuseUpgrade(c, why, status, reason, "");
  }

  /** Answers the upgrade request with {@code status} and closes; {@code headers} end in CRLF. */
  private void refuseUpgrade(
      SocketConnection c, Refusal why, String status, String reason, String headers) {
    if (why != null) {
      metrics.refused(why);
      throttled.info(why.name(), "client refused: " + reason + " client=" + c.remote());
    }
    c.head = null;
    String body = reason + "\n";
    String response =
        "HTTP/1.1 "
            + status
            + "\r\n"
            + headers
            + "Content-Type: text/plain\r\nContent-Length: "
            + body.length()
            + "\r\nConnection: close\r\n\r\n"
            + body;
    c.impl.outQueue.add(ByteBuffer.wrap(response.getBytes(US_ASCII)));
    c.impl.flushAndClose(CloseFrame.NEVER_CONNECTED, reason, false);
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i + pattern.length <= data.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** The socket as the library sees it: it only ever closes it. */
  private final class ChannelHandle implements ByteChannel {
    private final SocketConnection c;

    ChannelHandle(SocketConnection c) {
      this.c = c;
    }

    @Override
    public int read(ByteBuffer dst) {
      throw new UnsupportedOperationException("the selector reads");
    }

    @Override
    public int write(ByteBuffer src) {
      throw new UnsupportedOperationException("the selector writes");
    }

    @Override
    public boolean isOpen() {
      return !c.closed;
    }

    @Override
    public void close() {
      closed(c);
    }
  }

  /** The library's callbacks, on the decoder threads (and writes demanded from any thread). */
  private final class Adapter extends WebSocketAdapter {

    @Override
    public void onWebsocketOpen(WebSocket socket, Handshakedata handshake) {
      SocketConnection c = socket.getAttachment();
      if (socket instanceof WebSocketImpl impl && impl.isFlushAndClose()) {
        return; // a second upgrade after a refused one: it is closing, never opened
      }
      c.lastPong = System.nanoTime();
      c.opened = true;
      handler.opened(c, c.admission);
    }

    @Override
    public void onWebsocketMessage(WebSocket socket, String message) {
      SocketConnection c = socket.getAttachment();
      if (!c.closed) {
        handler.text(c, message);
      }
    }

    @Override
    public void onWebsocketMessage(WebSocket socket, ByteBuffer blob) {
      SocketConnection c = socket.getAttachment();
      if (!c.closed) {
        handler.binary(c);
      }
    }

    @Override
    public void onWebsocketPing(WebSocket socket, Framedata frame) {
      SocketConnection c = socket.getAttachment();
      c.sendControl(new PongFrame((PingFrame) frame));
      handler.controlFrame(c);
    }

    @Override
    public void onWebsocketPong(WebSocket socket, Framedata frame) {
      SocketConnection c = socket.getAttachment();
      c.lastPong = System.nanoTime();
      handler.controlFrame(c);
    }

    @Override
    public void onWebsocketClose(WebSocket socket, int code, String reason, boolean remote) {
      SocketConnection c = socket.getAttachment();
      c.closeCode = code;
      c.closeReason = reason == null ? "" : reason;
      c.closeRemote = remote;
      c.closed = true;
    }

    @Override
    public void onWebsocketClosing(WebSocket socket, int code, String reason, boolean remote) {
      // The close handshake is under way; the close itself is reported once it is done.
    }

    @Override
    public void onWebsocketCloseInitiated(WebSocket socket, int code, String reason) {
      // Called as the relay starts closing, before its close frame is queued.
      if (code == CloseFrame.TOOBIG) {
        metrics.refused(Refusal.FRAME_TOO_BIG);
        throttled.info(
            "too-big",
            "client refused: message over "
                + settings.maxMessageBytes()
                + " bytes client="
                + socket.getAttachment());
      }
    }

    @Override
    public void onWebsocketError(WebSocket socket, Exception error) {
      log.debug("client error client={}: {}", socket.getAttachment(), error.toString());
    }

    @Override
    public void onWriteDemand(WebSocket socket) {
      writeSoon(socket.getAttachment());
    }

    @Override
    public InetSocketAddress getLocalSocketAddress(WebSocket socket) {
      try {
        return (InetSocketAddress) server.getLocalAddress();
      } catch (IOException e) {
        return null;
      }
    }

    @Override
    public InetSocketAddress getRemoteSocketAddress(WebSocket socket) {
      SocketConnection c = socket.getAttachment();
      return c.remoteSocketAddress();
    }
  }
}
