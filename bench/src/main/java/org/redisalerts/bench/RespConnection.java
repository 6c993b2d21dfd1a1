package org.redisalerts.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.redisalerts.common.RedisEndpoint;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * A publisher's Redis connection, pipelined and as light as a load tool needs: commands are encoded
 * straight into one buffer and written in big writes by the publishing thread, while a reply thread
 * ({@code bench-replies-NAME}) counts the replies. Every command this tool sends gets a one-line
 * reply (an integer, {@code +OK} or an error), so counting line ends counts replies. At most {@link
 * #WINDOW} commands are unanswered at a time. One publishing thread per connection.
 */
final class RespConnection implements AutoCloseable {

  /** Commands that may be sent before their replies arrive, by default. */
  static final int WINDOW = 20_000;

  private static final int BUFFER = 64 * 1024;

  private final SocketChannel channel;
  private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER);
  private final Semaphore window;
  private final AtomicLong replies = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();
  private final Thread reader;
  private long sent;

  RespConnection(RedisEndpoint endpoint, String name, int window) throws IOException {
    if (window < 2) {
      throw new IllegalArgumentException("a publisher window must be at least 2: " + window);
    }
    this.window = new Semaphore(window);
    channel = SocketChannel.open(new InetSocketAddress(endpoint.host(), endpoint.port()));
    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    reader = new Thread(this::readReplies, "bench-replies-" + name);
    reader.setDaemon(true);
    reader.start();
    String password = JedisURIHelper.getPassword(endpoint.uri());
    if (password != null) {
      String user = JedisURIHelper.getUser(endpoint.uri());
      if (user != null) {
        command(bytes("AUTH"), bytes(user), bytes(password));
      } else {
        command(bytes("AUTH"), bytes(password));
      }
    }
    int db = JedisURIHelper.getDBIndex(endpoint.uri());
    if (db != 0) {
      command(bytes("SELECT"), bytes(Integer.toString(db)));
    }
    awaitReplies(10_000);
    if (errors.get() > 0) {
      throw new IOException("Redis refused the connection's set-up: " + firstError.get());
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  /** Queues one command; writes when the buffer is full. */
  void command(byte[]... args) throws IOException {
    acquire(1);
    int size = 16;
    for (byte[] arg : args) {
      size += arg.length + 16;
    }
    if (out.remaining() < size) {
      flush();
      if (out.capacity() < size) {
        throw new IOException("a command of " + size + " bytes is over the buffer");
      }
    }
    header('*', args.length);
    for (byte[] arg : args) {
      header('$', arg.length);
      out.put(arg);
      out.put((byte) '\r').put((byte) '\n');
    }
    sent++;
  }

  private void header(char type, int n) {
    out.put((byte) type);
    out.put(Integer.toString(n).getBytes(US_ASCII));
    out.put((byte) '\r').put((byte) '\n');
  }

  private void acquire(int n) throws IOException {
    if (window.tryAcquire(n)) {
      return;
    }
    flush(); // what waits for replies must have been sent
    try {
      if (!window.tryAcquire(n, 60, TimeUnit.SECONDS)) {
        throw new IOException("Redis has not answered for 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while publishing", e);
    }
  }

  /** Writes everything queued. */
  void flush() throws IOException {
    out.flip();
    while (out.hasRemaining()) {
      channel.write(out);
    }
    out.clear();
  }

  /** Commands sent so far on this connection. */
  long sent() {
    return sent;
  }

  long errors() {
    return errors.get();
  }

  String firstError() {
    return firstError.get();
  }

  /** Flushes and waits until every command sent has its reply. */
  void awaitReplies(long timeoutMillis) throws IOException {
    flush();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    synchronized (replies) {
      while (replies.get() < sent) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IOException(
              "Redis answered " + replies.get() + " of " + sent + " commands in time");
        }
        try {
          replies.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for Redis", e);
        }
      }
    }
  }

  private void readReplies() {
    ByteBuffer in = ByteBuffer.allocateDirect(BUFFER);
    boolean lineStart = true;
    StringBuilder error = null;
    try {
      while (channel.read(in) >= 0) {
        in.flip();
        int lines = 0;
        while (in.hasRemaining()) {
          byte b = in.get();
          if (lineStart && b == '-') {
            errors.incrementAndGet();
            error = new StringBuilder();
          } else if (error != null && b != '\r' && b != '\n') {
            error.append((char) b);
          }
          lineStart = b == '\n';
          if (lineStart) {
            lines++;
            if (error != null) {
              firstError.compareAndSet(null, error.toString());
              error = null;
            }
          }
        }
        in.clear();
        if (lines > 0) {
          window.release(lines);
          synchronized (replies) {
            replies.addAndGet(lines);
            replies.notifyAll();
          }
        }
      }
    } catch (IOException e) {
      // Closed: by close(), or Redis went away and the publisher's wait will say so.
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    channel.close();
    reader.join(TimeUnit.SECONDS.toMillis(5));
  }
}
