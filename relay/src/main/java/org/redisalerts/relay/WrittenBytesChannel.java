package org.redisalerts.relay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A connection's socket channel that counts the bytes handed to the kernel, and completes waiters
 * once the count reaches their mark, or when the connection closes.
 *
 * <p>{@link #write} runs on the WebSocket selector thread only; waiters may be added from any
 * thread. Waiter completion runs on the selector thread, so callers must continue asynchronously on
 * their own executor.
 */
final class WrittenBytesChannel implements ByteChannel {

  private record Waiter(long mark, CompletableFuture<Long> done) {}

  private final SocketChannel socket;
  private final AtomicLong written = new AtomicLong();

  /** Number of waiters; read without the lock on the write path. */
  private volatile int pending;

  /** Guarded by this. */
  private final List<Waiter> waiters = new ArrayList<>(2);

  /** Guarded by this. */
  private boolean closed;

  WrittenBytesChannel(SocketChannel socket) {
    this.socket = socket;
  }

  /**
   * Completes with the number of bytes written so far once it is at least {@code mark}, or with the
   * final count when the connection closes first.
   */
  CompletableFuture<Long> whenWritten(long mark) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    List<Waiter> ready;
    synchronized (this) {
      // Publish the waiter before reading the count: write() adds, then reads pending.
      pending++;
      waiters.add(new Waiter(mark, done));
      ready = due(closed);
    }
    complete(ready);
    return done;
  }

  /** Completes every waiter: nothing more will be written. */
  void markClosed() {
    List<Waiter> ready;
    synchronized (this) {
      closed = true;
      ready = due(true);
    }
    complete(ready);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    int n = socket.write(src);
    if (n > 0) {
      written.addAndGet(n);
      if (pending > 0) {
        List<Waiter> ready;
        synchronized (this) {
          ready = due(closed);
        }
        complete(ready);
      }
    }
    return n;
  }

  /**
   * Removes and returns the waiters whose mark is reached (all of them when closed). Guarded by
   * this.
   */
  private List<Waiter> due(boolean all) {
    if (waiters.isEmpty()) {
      return List.of();
    }
    long now = written.get();
    List<Waiter> ready = new ArrayList<>(waiters.size());
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (all || now >= w.mark()) {
        it.remove();
        pending--;
        ready.add(w);
      }
    }
    return ready;
  }

  /**
   * Completes waiters outside the lock, each with the count as it is now (never less than at
   * release).
   */
  private void complete(List<Waiter> ready) {
    for (Waiter w : ready) {
      w.done().complete(written.get());
    }
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return socket.read(dst);
  }

  @Override
  public boolean isOpen() {
    return socket.isOpen();
  }

  @Override
  public void close() throws IOException {
    try {
      socket.close();
    } finally {
      markClosed();
    }
  }
}
