package org.redisalerts.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client written over a plain socket, for tests that must do what a well-behaved
 * library will not: send fragments without end, stay silent, send an oversized or foreign upgrade
 * request, reset the connection at a chosen moment. It sends frames exactly as told and reads the
 * server's frames one at a time. Single-threaded.
 */
public final class RawClient implements AutoCloseable {

  /** A frame the server sent. */
  public record Frame(boolean fin, int opcode, byte[] payload) {

    public String text() {
      return new String(payload, UTF_8);
    }

    /** The close code of a close frame (1005 when it has none). */
    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    }
  }

  public static final int CONTINUATION = 0;
  public static final int TEXT = 1;
  public static final int BINARY = 2;
  public static final int CLOSE = 8;
  public static final int PING = 9;
  public static final int PONG = 10;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /** Opens a TCP connection and sends nothing. */
  public static RawClient connectTcp(int port) throws IOException {
    Socket socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(10_000);
    return new RawClient(socket);
  }

  /**
   * Connects and completes a WebSocket handshake.
   *
   * @param origin the Origin header, or null for none
   * @throws IOException when the server does not answer 101
   */
  public static RawClient connect(int port, String origin) throws IOException {
    RawClient client = connectTcp(port);
    String status = client.upgrade(port, origin);
    if (!status.startsWith("HTTP/1.1 101")) {
      client.close();
      throw new IOException("handshake refused: " + status);
    }
    return client;
  }

  /** Sends an upgrade request and returns the response's status line. */
  public String upgrade(int port, String origin) throws IOException {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    String request =
        "GET /raw HTTP/1.1\r\nHost: 127.0.0.1:"
            + port
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + java.util.Base64.getEncoder().encodeToString(key)
            + "\r\nSec-WebSocket-Version: 13\r\n"
            + (origin == null ? "" : "Origin: " + origin + "\r\n")
            + "\r\n";
    sendRaw(request.getBytes(US_ASCII));
    return readResponseHead().split("\r\n", 2)[0];
  }

  /** Reads an HTTP response head (through the blank line). */
  public String readResponseHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed during the handshake: " + head.toString(US_ASCII));
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(US_ASCII);
  }

  /** Writes bytes as they are. */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Sends one masked frame. */
  public void sendFrame(boolean fin, int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
    frame.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else if (payload.length < 65_536) {
      frame.write(0x80 | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length);
    } else {
      frame.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) ((long) payload.length >>> shift));
      }
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    frame.write(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i & 3]);
    }
    sendRaw(frame.toByteArray());
  }

  public void sendText(String text) throws IOException {
    sendFrame(true, TEXT, text.getBytes(UTF_8));
  }

  /** Sends {@code {"event":"identify","queue":key}} (the key JSON-escaped). */
  public void identify(String key) throws IOException {
    sendText("{\"event\":\"identify\",\"queue\":" + jsonString(key) + "}");
  }

  /** A JSON string literal of {@code s}, every control character escaped. */
  public static String jsonString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  /** Reads the next frame, waiting up to {@code deadline}; null when the connection ended. */
  public Frame readFrame(Duration deadline) throws IOException {
    socket.setSoTimeout((int) deadline.toMillis());
    try {
      int b0 = in.read();
      if (b0 < 0) {
        return null;
      }
      int b1 = in.readNBytes(1)[0] & 0xff;
      long length = b1 & 0x7f;
      if (length == 126) {
        byte[] l = in.readNBytes(2);
        length = ((l[0] & 0xff) << 8) | (l[1] & 0xff);
      } else if (length == 127) {
        byte[] l = in.readNBytes(8);
        length = 0;
        for (byte x : l) {
          length = (length << 8) | (x & 0xff);
        }
      }
      byte[] payload = in.readNBytes((int) length);
      return new Frame((b0 & 0x80) != 0, b0 & 0x0f, payload);
    } catch (SocketException e) {
      return null; // reset
    }
  }

  /**
   * Reads frames until the server's close frame or the end of the connection.
   *
   * @return the close frame, or null when the connection ended without one
   */
  public Frame awaitClose(Duration deadline) throws IOException {
    long end = System.nanoTime() + deadline.toNanos();
    while (true) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException("no close within " + deadline);
      }
      Frame frame = readFrame(Duration.ofNanos(left).plusMillis(1));
      if (frame == null || frame.opcode() == CLOSE) {
        return frame;
      }
    }
  }

  /**
   * Waits until the server ends the TCP connection (read returns end of stream or a reset).
   *
   * @return true if it did within {@code deadline}
   */
  public boolean awaitEnd(Duration deadline) throws IOException {
    long end = System.nanoTime() + deadline.toNanos();
    byte[] buffer = new byte[8192];
    while (System.nanoTime() < end) {
      socket.setSoTimeout(100);
      try {
        if (in.read(buffer) < 0) {
          return true;
        }
      } catch (SocketTimeoutException e) {
        // keep waiting
      } catch (SocketException e) {
        return true;
      }
    }
    return false;
  }

  /** Ends the connection with a TCP reset instead of a close. */
  public void reset() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  public Socket socket() {
    return socket;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
