package org.redisalerts.bench.ws;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * Many client WebSockets multiplexed on a few selector threads ({@code bench-ws-N}), so that one
 * process can hold tens of thousands of connections and read millions of frames per second. Each
 * connection belongs to one loop for its life; its listener runs on that loop's thread. Connects
 * are queued to the loops and started as fast as they can be, not one after another.
 */
public final class WsClientLoops implements AutoCloseable {

  /** Connects a loop starts before it looks at its sockets again. */
  private static final int CONNECTS_PER_TURN = 256;

  /** Read buffer each loop shares between its connections. */
  private static final int READ_BUFFER = 256 * 1024;

  private final List<Loop> loops = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();

  /** What {@code wss://} connections trust; null when only {@code ws://} is used. */
  private final SSLContext tls;

  /**
   * @param threads selector threads
   */
  public WsClientLoops(int threads) throws IOException {
    this(threads, null);
  }

  /**
   * @param threads selector threads
   * @param tls what {@code wss://} connections trust (null: {@code ws://} only)
   */
  public WsClientLoops(int threads, SSLContext tls) throws IOException {
    this.tls = tls;
    if (threads < 1) {
      throw new IllegalArgumentException("client threads must be at least 1: " + threads);
    }
    for (int i = 0; i < threads; i++) {
      Loop loop = new Loop(i);
      loops.add(loop);
      loop.thread.start();
    }
  }

  public int threads() {
    return loops.size();
  }

  /**
   * Starts connecting to {@code uri} ({@code ws://}, or {@code wss://} when these loops were given
   * a TLS context) from {@code source} (null: the kernel's choice), on the next loop in turn;
   * returns at once. The listener hears of the outcome.
   */
  public WsConnection connect(URI uri, InetAddress source, WsListener listener, Object attachment)
      throws IOException {
    Transport transport;
    if ("ws".equals(uri.getScheme())) {
      transport = Transport.PLAIN;
    } else if ("wss".equals(uri.getScheme()) && tls != null) {
      SSLEngine engine = tls.createSSLEngine(uri.getHost(), uri.getPort());
      SSLParameters parameters = engine.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate names the host
      engine.setSSLParameters(parameters);
      transport = new TlsTransport(engine);
    } else {
      throw new IllegalArgumentException("ws:// or, with a TLS context, wss:// only: " + uri);
    }
    Loop loop = loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
    WsConnection connection = new WsConnection(loop, uri, source, listener, transport, attachment);
    loop.connects.add(connection);
    loop.wake();
    return connection;
  }

  /** Runs {@code task} on the loop of {@code connection} (to send, or to close it). */
  public static void execute(WsConnection connection, Runnable task) {
    connection.loop.tasks.add(task);
    connection.loop.wake();
  }

  /** Connections that are not closed yet, over all loops. */
  public int live() {
    int live = 0;
    for (Loop loop : loops) {
      live += loop.live.get();
    }
    return live;
  }

  /** Closes every connection and stops the threads, waiting up to 10 s for them. */
  @Override
  public void close() throws InterruptedException {
    for (Loop loop : loops) {
      loop.stopping = true;
      loop.selector.wakeup();
    }
    for (Loop loop : loops) {
      loop.thread.join(TimeUnit.SECONDS.toMillis(10));
    }
  }

  /** One selector thread and the connections it owns. */
  static final class Loop implements Runnable {
    final int index;
    final Thread thread;
    final Selector selector;
    final Queue<WsConnection> connects = new ConcurrentLinkedQueue<>();
    final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    final AtomicInteger live = new AtomicInteger();

    /** Set when a wake-up is on its way, so that a burst of connects makes one, not one each. */
    private final java.util.concurrent.atomic.AtomicBoolean woken =
        new java.util.concurrent.atomic.AtomicBoolean();

    private final ByteBuffer scratch = ByteBuffer.allocateDirect(READ_BUFFER);
    volatile boolean stopping;

    Loop(int index) throws IOException {
      this.index = index;
      this.selector = Selector.open();
      this.thread = new Thread(this, "bench-ws-" + index);
      thread.setDaemon(true);
    }

    void closed() {
      live.decrementAndGet();
    }

    void wake() {
      if (woken.compareAndSet(false, true)) {
        selector.wakeup();
      }
    }

    @Override
    public void run() {
      try {
        while (!stopping) {
          woken.set(false); // before polling: a later add wakes the next select
          int started = startConnects();
          runTasks();
          if (started == CONNECTS_PER_TURN) {
            selector.selectNow();
          } else {
            selector.select();
          }
          for (SelectionKey key : selector.selectedKeys()) {
            handle(key);
          }
          selector.selectedKeys().clear();
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("selector failed", e);
      } finally {
        closeAll();
      }
    }

    private int startConnects() {
      int started = 0;
      WsConnection c;
      while (started < CONNECTS_PER_TURN && (c = connects.poll()) != null) {
        started++;
        live.incrementAndGet();
        start(c);
      }
      return started;
    }

    private void start(WsConnection c) {
      try {
        SocketChannel ch = c.open();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        if (c.source() != null) {
          ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
          ch.bind(new InetSocketAddress(c.source(), 0));
        }
        boolean done = ch.connect(c.remote());
        c.selectionKey = ch.register(selector, SelectionKey.OP_CONNECT, c);
        if (done) {
          c.connected();
        }
      } catch (IOException | RuntimeException e) {
        c.closed(1006, "connect failed", e);
      }
    }

    private void runTasks() {
      Runnable task;
      while ((task = tasks.poll()) != null) {
        task.run();
      }
    }

    private void handle(SelectionKey key) {
      WsConnection c = (WsConnection) key.attachment();
      if (!key.isValid()) {
        return;
      }
      int ready = key.readyOps();
      if ((ready & SelectionKey.OP_CONNECT) != 0) {
        c.onConnectable();
        return;
      }
      if ((ready & SelectionKey.OP_WRITE) != 0) {
        c.onWritable();
      }
      if ((ready & SelectionKey.OP_READ) != 0 && key.isValid()) {
        scratch.clear();
        c.onReadable(scratch);
      }
    }

    private void closeAll() {
      WsConnection c;
      while ((c = connects.poll()) != null) {
        live.incrementAndGet();
        c.abort();
      }
      for (SelectionKey key : selector.keys()) {
        if (key.attachment() instanceof WsConnection connection) {
          connection.abort();
        }
      }
      try {
        selector.close();
      } catch (IOException e) {
        // The loop is over either way.
      }
    }
  }
}
