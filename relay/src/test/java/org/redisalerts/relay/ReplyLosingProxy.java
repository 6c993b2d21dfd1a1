package org.redisalerts.relay;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * A TCP proxy on loopback in front of a Redis server that loses one reply after Redis ran what it
 * answers: armed with some bytes, it lets a request that holds them through, then cuts that
 * connection when Redis's reply comes (one the arm accepts), without passing the reply on. The
 * client sees its connection drop and cannot tell whether Redis ran the command. From then on the
 * proxy holds every request (on every connection, new ones too) until {@link #resume}, so a test
 * can change Redis first. One arm per proxy. Requests and replies are matched by what one read of
 * the socket holds, which on loopback is a whole pipelined write.
 */
final class ReplyLosingProxy implements AutoCloseable {

  private final ServerSocket server;
  private final int redisPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicReference<Arm> armed = new AtomicReference<>();
  private final CountDownLatch passed = new CountDownLatch(1);
  private final CountDownLatch cut = new CountDownLatch(1);
  private volatile CountDownLatch gate = new CountDownLatch(0);

  ReplyLosingProxy(int redisPort) throws IOException {
    this.redisPort = redisPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** What to lose: the reply to a request that holds {@code bytes}, if {@code reply} holds. */
  private record Arm(String bytes, Predicate<byte[]> reply) {}

  /** The reply to the next request that contains {@code bytes} is lost, its connection cut. */
  void loseReplyToRequestWith(String bytes) {
    loseReplyToRequestWith(bytes, reply -> true);
  }

  /**
   * As {@link #loseReplyToRequestWith(String)}, for the first such request whose reply (its first
   * bytes as read) {@code reply} accepts; other replies pass.
   */
  void loseReplyToRequestWith(String bytes, Predicate<byte[]> reply) {
    if (!armed.compareAndSet(null, new Arm(bytes, reply)) || cut.getCount() == 0) {
      throw new IllegalStateException("one arm per proxy");
    }
  }

  /** Waits until the request whose reply is to be lost went to Redis. */
  boolean awaitRequest(long seconds) throws InterruptedException {
    return passed.await(seconds, TimeUnit.SECONDS);
  }

  /** Waits until a reply was lost; the proxy holds every request from then on. */
  boolean awaitCut(long seconds) throws InterruptedException {
    return cut.await(seconds, TimeUnit.SECONDS);
  }

  /** Lets requests through again. */
  void resume() {
    gate.countDown();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket redis = new Socket(InetAddress.getLoopbackAddress(), redisPort);
        sockets.add(client);
        sockets.add(redis);
        Link link = new Link(client, redis);
        start("proxy-up", link::up);
        start("proxy-down", link::down);
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private static void start(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** One client connection and the proxy's connection to Redis for it. */
  private final class Link {
    private final Socket client;
    private final Socket redis;

    /** The arm whose request went last on this link; its reply decides. */
    private final AtomicReference<Arm> pending = new AtomicReference<>();

    Link(Socket client, Socket redis) {
      this.client = client;
      this.redis = redis;
    }

    void up() {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = client.getInputStream();
          OutputStream out = redis.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          gate.await();
          Arm arm = armed.get();
          boolean matches =
              arm != null && new String(buffer, 0, n, ISO_8859_1).contains(arm.bytes());
          if (matches) {
            pending.set(arm);
          }
          out.write(buffer, 0, n);
          out.flush();
          if (matches) {
            passed.countDown();
          }
        }
      } catch (IOException | InterruptedException e) {
        // cut, or closed
      } finally {
        close();
      }
    }

    void down() {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = redis.getInputStream();
          OutputStream out = client.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          Arm arm = pending.getAndSet(null);
          if (arm != null
              && arm.reply().test(Arrays.copyOf(buffer, n))
              && armed.compareAndSet(arm, null)) {
            gate = new CountDownLatch(1);
            cut.countDown();
            return; // the reply is dropped with the connection
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // cut, or closed
      } finally {
        close();
      }
    }

    private void close() {
      closeQuietly(client);
      closeQuietly(redis);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    gate.countDown();
    server.close();
    sockets.forEach(ReplyLosingProxy::closeQuietly);
  }
}
