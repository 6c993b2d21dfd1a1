package org.redisalerts.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.redisalerts.bench.ws.Frames;

/**
 * The sender for {@code --ceiling}: a WebSocket server in this process, with no Redis and no relay,
 * that answers identifies and then writes a phase's alerts to every connection from one buffer
 * encoded once (frames back to back, so each write hands the kernel as much as the socket takes).
 * Its cost per alert is a share of a large write, far below what a client spends reading and
 * checking that alert, so a run against it measures the receiving side: the tool's own ceiling. One
 * thread ({@code bench-ceiling}) accepts, answers and writes.
 */
final class CeilingServer implements Target {

  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final ByteBuffer REPLY =
      frame("{\"message\":\"you are now connected\"}".getBytes(UTF_8));

  private final ServerSocketChannel server;
  private final Selector selector;
  private final Thread thread;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final List<Peer> identified = new ArrayList<>(); // only the server thread
  private final int bytes;
  private volatile boolean stopping;

  CeilingServer(int bytes) throws IOException {
    this.bytes = bytes;
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress("127.0.0.1", 0), 65_535);
    server.configureBlocking(false);
    selector = Selector.open();
    server.register(selector, SelectionKey.OP_ACCEPT);
    thread = new Thread(this::loop, "bench-ceiling");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public String name() {
    return "ceiling";
  }

  @Override
  public List<URI> relays() {
    return List.of(URI.create("ws://127.0.0.1:" + server.socket().getLocalPort() + "/"));
  }

  @Override
  public String redis() {
    throw new UnsupportedOperationException("the ceiling has no Redis");
  }

  @Override
  public OptionalLong pid() {
    return OptionalLong.empty();
  }

  @Override
  public boolean forceGc() {
    return false;
  }

  /**
   * Encodes {@code alertsPerKey} alerts, numbered from 0, stamped now, and has the server thread
   * write them to every identified connection; returns how many alerts per key times keys it sent.
   */
  long blast(int alertsPerKey, int keys) {
    String padding = BenchClient.padding(bytes);
    List<byte[]> alerts = new ArrayList<>(alertsPerKey);
    int size = 0;
    for (int seq = 0; seq < alertsPerKey; seq++) {
      byte[] alert = BenchClient.alert(seq, padding).getBytes(UTF_8);
      alerts.add(alert);
      size += Frames.encodedLength(alert.length, false);
    }
    ByteBuffer all = ByteBuffer.allocateDirect(size);
    for (byte[] alert : alerts) {
      Frames.encode(all, Frames.TEXT, ByteBuffer.wrap(alert), false, 0);
    }
    all.flip();
    ByteBuffer shared = all.asReadOnlyBuffer();
    tasks.add(
        () -> {
          for (Peer peer : identified) {
            peer.queue(shared.duplicate());
          }
        });
    selector.wakeup();
    return (long) alertsPerKey * keys;
  }

  private void loop() {
    try {
      while (!stopping) {
        Runnable task;
        while ((task = tasks.poll()) != null) {
          task.run();
        }
        selector.select();
        for (SelectionKey key : selector.selectedKeys()) {
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            accept();
          } else {
            Peer peer = (Peer) key.attachment();
            if (key.isWritable()) {
              peer.flush();
            }
            if (key.isValid() && key.isReadable()) {
              peer.read();
            }
          }
        }
        selector.selectedKeys().clear();
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("ceiling server failed", e);
    } finally {
      for (SelectionKey key : selector.keys()) {
        try {
          key.channel().close();
        } catch (IOException e) {
          // Stopping anyway.
        }
      }
    }
  }

  private void accept() throws IOException {
    SocketChannel ch;
    while ((ch = server.accept()) != null) {
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      Peer peer = new Peer(ch);
      peer.key = ch.register(selector, SelectionKey.OP_READ, peer);
    }
  }

  private static ByteBuffer frame(byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(Frames.encodedLength(payload.length, false));
    Frames.encode(b, Frames.TEXT, ByteBuffer.wrap(payload), false, 0);
    return b.flip().asReadOnlyBuffer();
  }

  /** One client connection; only touched by the server thread. */
  private final class Peer implements Frames.Sink {
    final SocketChannel channel;
    final Frames.Reader reader = new Frames.Reader(4096);
    final Queue<ByteBuffer> out = new ArrayDeque<>();
    ByteBuffer in = ByteBuffer.allocate(4096);
    SelectionKey key;
    boolean upgraded;

    Peer(SocketChannel channel) {
      this.channel = channel;
    }

    void read() {
      try {
        if (channel.read(in) < 0) {
          drop();
          return;
        }
        in.flip();
        if (!upgraded) {
          String request = US_ASCII.decode(in.duplicate()).toString();
          int end = request.indexOf("\r\n\r\n");
          if (end < 0) {
            in.compact();
            return;
          }
          in.position(in.position() + end + 4);
          upgrade(request.substring(0, end));
        }
        reader.read(in, this);
        in.compact();
      } catch (IOException | Frames.ProtocolError e) {
        drop();
      }
    }

    private void upgrade(String request) throws IOException {
      String clientKey = null;
      for (String line : request.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0
            && line.substring(0, colon)
                .trim()
                .toLowerCase(Locale.ROOT)
                .equals("sec-websocket-key")) {
          clientKey = line.substring(colon + 1).trim();
        }
      }
      if (clientKey == null) {
        throw new IOException("not a WebSocket upgrade");
      }
      String reply =
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Accept: "
              + accept(clientKey)
              + "\r\n\r\n";
      upgraded = true;
      queue(ByteBuffer.wrap(reply.getBytes(US_ASCII)));
    }

    @Override
    public void onMessage(int opcode, ByteBuffer payload) {
      identified.add(this);
      queue(REPLY.duplicate());
    }

    @Override
    public void onControl(int opcode, ByteBuffer payload) {
      if (opcode == Frames.CLOSE) {
        drop();
      }
    }

    void queue(ByteBuffer bytes) {
      out.add(bytes);
      if (out.size() == 1) {
        flush();
      }
    }

    void flush() {
      try {
        ByteBuffer head;
        while ((head = out.peek()) != null) {
          channel.write(head);
          if (head.hasRemaining()) {
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            return;
          }
          out.poll();
        }
        key.interestOps(SelectionKey.OP_READ);
      } catch (IOException e) {
        drop();
      }
    }

    void drop() {
      identified.remove(this);
      key.cancel();
      try {
        channel.close();
      } catch (IOException e) {
        // Dropped either way.
      }
    }
  }

  private static String accept(String clientKey) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return Base64.getEncoder().encodeToString(sha1.digest((clientKey + GUID).getBytes(US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }

  @Override
  public void close() throws InterruptedException, IOException {
    stopping = true;
    selector.wakeup();
    thread.join(TimeUnit.SECONDS.toMillis(10));
    server.close();
    selector.close();
  }
}
