package org.redisalerts.bench.ws;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One client WebSocket on a {@link WsClientLoops} thread: connects, upgrades (checking the 101 and
 * its {@code Sec-WebSocket-Accept}), parses the server's frames, answers pings and closes, and
 * sends masked text frames. Only touched by its loop thread, apart from the timestamps and the
 * attachment, which are set before it is handed to the loop.
 */
public final class WsConnection implements Frames.Sink {

  enum State {
    CONNECTING,
    /** The transport's own handshake (TLS), before the upgrade request. */
    SECURING,
    UPGRADING,
    OPEN,
    CLOSED
  }

  /** Largest message accepted from the server. */
  private static final int MAX_MESSAGE = 16 * 1024 * 1024;

  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  /** Opened by the loop thread when it starts the connect; null before. */
  SocketChannel channel;

  final WsClientLoops.Loop loop;
  private final URI uri;
  private final InetAddress source;
  private final WsListener listener;
  private final Transport transport;
  private final Frames.Reader reader = new Frames.Reader(MAX_MESSAGE);
  private final String key;
  SelectionKey selectionKey;
  State state = State.CONNECTING;

  /** Bytes read but not yet parsed (a partial frame or header); write mode; null when none. */
  ByteBuffer pending;

  /** Bytes not yet written; write mode; null when none. */
  private ByteBuffer outbox;

  private final Object attachment;
  private final long connectStarted;
  private volatile long opened;
  private volatile boolean closedByClient;

  WsConnection(
      WsClientLoops.Loop loop,
      URI uri,
      InetAddress source,
      WsListener listener,
      Transport transport,
      Object attachment) {
    this.loop = loop;
    this.uri = uri;
    this.source = source;
    this.listener = listener;
    this.transport = transport;
    this.attachment = attachment;
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    this.key = Base64.getEncoder().encodeToString(nonce);
    this.connectStarted = System.nanoTime();
  }

  /** What the caller attached when connecting. */
  public Object attachment() {
    return attachment;
  }

  /** When the connect was started (nanoTime). */
  public long connectStarted() {
    return connectStarted;
  }

  /** When the 101 arrived (nanoTime); 0 before. */
  public long opened() {
    return opened;
  }

  /** Whether the upgrade had completed (even if the connection has closed since). */
  public boolean wasOpen() {
    return opened != 0;
  }

  public boolean isOpen() {
    return state == State.OPEN;
  }

  /** Sends one masked text frame. Loop thread only. */
  public void sendText(String text) {
    sendText(ByteBuffer.wrap(text.getBytes(UTF_8)));
  }

  /** Sends one masked text frame of {@code payload}'s remaining bytes. Loop thread only. */
  public void sendText(ByteBuffer payload) {
    send(Frames.TEXT, payload);
  }

  /** Closes the socket without a closing handshake. Loop thread only. */
  public void abort() {
    closedByClient = true;
    closed(1006, "closed by the client", null);
  }

  /** Whether this side ended the connection ({@link #abort}, or the loops closing). */
  public boolean closedByClient() {
    return closedByClient;
  }

  /** Opens the socket; loop thread only. */
  SocketChannel open() throws IOException {
    channel = SocketChannel.open();
    return channel;
  }

  /** The address to bind before connecting; null for the kernel's choice. */
  InetAddress source() {
    return source;
  }

  InetSocketAddress remote() {
    return new InetSocketAddress(uri.getHost(), port());
  }

  private int port() {
    return uri.getPort() != -1 ? uri.getPort() : "wss".equals(uri.getScheme()) ? 443 : 80;
  }

  /** Which loop thread owns this connection, from 0. */
  public int loopIndex() {
    return loop.index;
  }

  private void send(int opcode, ByteBuffer payload) {
    if (state != State.OPEN) {
      return;
    }
    ByteBuffer frame = ByteBuffer.allocate(Frames.encodedLength(payload.remaining(), true));
    Frames.encode(frame, opcode, payload, true, ThreadLocalRandom.current().nextInt());
    frame.flip();
    write(frame);
  }

  void onConnectable() {
    try {
      if (!channel.finishConnect()) {
        return;
      }
      connected();
    } catch (IOException e) {
      closed(1006, "connect failed", e);
    }
  }

  /** The TCP connection is up: secures it (wss), then sends the upgrade request. */
  void connected() {
    state = State.SECURING;
    selectionKey.interestOps(SelectionKey.OP_READ);
    secure();
  }

  /** Advances the transport's handshake; sends the upgrade request once it is done. */
  private void secure() {
    try {
      if (transport.handshake(channel)) {
        upgrade();
      } else {
        selectionKey.interestOps(
            SelectionKey.OP_READ | (transport.hasPendingOutput() ? SelectionKey.OP_WRITE : 0));
      }
    } catch (IOException e) {
      closed(1006, "TLS handshake failed", e);
    }
  }

  private void upgrade() {
    state = State.UPGRADING;
    selectionKey.interestOps(SelectionKey.OP_READ);
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    String request =
        "GET "
            + path
            + " HTTP/1.1\r\nHost: "
            + uri.getHost()
            + ":"
            + port()
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + key
            + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    write(ByteBuffer.wrap(request.getBytes(US_ASCII)));
  }

  /** Reads what arrived, into {@code scratch} (the loop's buffer), and handles it. */
  void onReadable(ByteBuffer scratch) {
    if (state == State.SECURING) {
      secure();
      return;
    }
    do {
      scratch.clear();
      readOnce(scratch);
    } while (state != State.CLOSED && transport.hasBufferedInput());
  }

  /** Reads once into {@code scratch} (empty, write mode) and handles what it got. */
  private void readOnce(ByteBuffer scratch) {
    try {
      ByteBuffer in = scratch;
      if (pending != null) {
        if (pending.capacity() > scratch.capacity()) {
          in = pending; // a message larger than the loop's buffer: read into its own
        } else {
          pending.flip();
          scratch.put(pending);
        }
        pending = null;
      }
      int n = transport.read(channel, in);
      if (n < 0) {
        closed(1006, "connection ended", null);
        return;
      }
      in.flip();
      int need = state == State.UPGRADING ? readUpgrade(in) : 0;
      if (state == State.OPEN) {
        need = reader.read(in, this);
      }
      if (state != State.CLOSED && in.hasRemaining()) {
        keep(in, need);
      }
    } catch (IOException e) {
      closed(1006, "read failed", e);
    } catch (Frames.ProtocolError e) {
      closed(1002, "protocol error", e);
    }
  }

  private void keep(ByteBuffer in, int need) {
    int size = Math.max(in.remaining(), need);
    ByteBuffer kept = ByteBuffer.allocate(Math.max(size, 1024));
    kept.put(in);
    pending = kept;
  }

  /** Parses the upgrade reply; returns the bytes needed beyond those in {@code in}. */
  private int readUpgrade(ByteBuffer in) throws IOException {
    int end = headerEnd(in);
    if (end < 0) {
      if (in.remaining() > 16 * 1024) {
        throw new IOException("upgrade reply too long");
      }
      return in.remaining() + 1;
    }
    byte[] header = new byte[end - in.position()];
    in.get(header);
    String reply = new String(header, US_ASCII);
    String status = reply.substring(0, Math.max(0, reply.indexOf('\r')));
    if (!status.startsWith("HTTP/1.1 101")) {
      closed(1006, "upgrade refused", new IOException("upgrade refused: " + status));
      return 0;
    }
    String accept = header(reply, "sec-websocket-accept");
    if (!expectedAccept().equals(accept)) {
      closed(1006, "bad upgrade", new IOException("wrong Sec-WebSocket-Accept: " + accept));
      return 0;
    }
    state = State.OPEN;
    opened = System.nanoTime();
    listener.onOpen(this);
    return 0;
  }

  /** The index just past the blank line that ends an HTTP header, or -1. */
  private static int headerEnd(ByteBuffer in) {
    for (int i = in.position(); i + 3 < in.limit(); i++) {
      if (in.get(i) == '\r'
          && in.get(i + 1) == '\n'
          && in.get(i + 2) == '\r'
          && in.get(i + 3) == '\n') {
        return i + 4;
      }
    }
    return -1;
  }

  private static String header(String reply, String name) {
    for (String line : reply.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  private String expectedAccept() {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return Base64.getEncoder().encodeToString(sha1.digest((key + GUID).getBytes(US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }

  @Override
  public void onMessage(int opcode, ByteBuffer payload) {
    if (opcode == Frames.TEXT && state == State.OPEN) {
      listener.onText(this, payload);
    }
  }

  @Override
  public void onControl(int opcode, ByteBuffer payload) {
    if (state != State.OPEN) {
      return;
    }
    if (opcode == Frames.PING) {
      send(Frames.PONG, payload);
    } else if (opcode == Frames.CLOSE) {
      int code = payload.remaining() >= 2 ? payload.getShort(payload.position()) & 0xFFFF : 1005;
      String reason = "";
      if (payload.remaining() > 2) {
        ByteBuffer text = payload.duplicate();
        text.position(text.position() + 2);
        reason = UTF_8.decode(text).toString();
      }
      ByteBuffer echo = ByteBuffer.allocate(2).putShort((short) (code == 1005 ? 1000 : code));
      send(Frames.CLOSE, echo.flip());
      closed(code, reason, null);
    }
  }

  void onWritable() {
    if (state == State.SECURING) {
      secure();
      return;
    }
    try {
      transport.write(channel, outbox);
      if (!outbox.hasRemaining() && !transport.hasPendingOutput()) {
        outbox = null;
        if (selectionKey.isValid()) {
          selectionKey.interestOps(SelectionKey.OP_READ);
        }
      }
    } catch (IOException e) {
      closed(1006, "write failed", e);
    }
  }

  private void write(ByteBuffer bytes) {
    try {
      if (outbox == null) {
        transport.write(channel, bytes);
        if (!bytes.hasRemaining() && !transport.hasPendingOutput()) {
          return;
        }
        outbox = ByteBuffer.allocate(Math.max(bytes.remaining(), 256));
        outbox.put(bytes).flip();
        selectionKey.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        return;
      }
      ByteBuffer bigger = ByteBuffer.allocate(outbox.remaining() + bytes.remaining());
      bigger.put(outbox).put(bytes).flip();
      outbox = bigger;
    } catch (IOException e) {
      closed(1006, "write failed", e);
    }
  }

  /** Ends the connection once: closes the socket and tells the listener. */
  void closed(int code, String reason, Throwable cause) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    pending = null;
    outbox = null;
    if (selectionKey != null) {
      selectionKey.cancel();
    }
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      // Closing a socket that failed: nothing more to learn.
    }
    loop.closed();
    listener.onClosed(this, code, reason, cause);
  }
}
