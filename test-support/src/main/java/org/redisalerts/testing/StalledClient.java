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
import java.util.concurrent.locks.LockSupport;

/**
 * A WebSocket client that identifies and then stops reading, as a frozen browser tab or a client on
 * a dead network does: written over a plain socket with a tiny receive buffer, so the relay's
 * writes to it soon block.
 */
public final class StalledClient implements AutoCloseable {

  private final Socket socket;

  private StalledClient(Socket socket) {
    this.socket = socket;
  }

  /** Connects, completes the handshake, sends an identify, and reads nothing more. */
  public static StalledClient identify(int port, String key) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(10_000);
    OutputStream out = socket.getOutputStream();
    out.write(
        ("GET /stalled HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(US_ASCII));
    out.flush();
    String response = readHeaders(socket.getInputStream());
    if (!response.startsWith("HTTP/1.1 101")) {
      socket.close();
      throw new IOException("handshake refused: " + response);
    }
    byte[] payload = ("{\"event\":\"identify\",\"queue\":\"" + key + "\"}").getBytes(UTF_8);
    if (payload.length >= 126) {
      throw new IllegalArgumentException("key too long for this test client");
    }
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(0x81); // FIN, text
    frame.write(0x80 | payload.length); // masked, length
    frame.write(new byte[4]); // all-zero mask: the payload goes as it is
    frame.write(payload);
    out.write(frame.toByteArray());
    out.flush();
    return new StalledClient(socket);
  }

  /**
   * Reads (and drops) whatever the relay sent until the relay closes the connection.
   *
   * @return true if the relay closed it within {@code deadline}
   */
  public boolean drainUntilClosed(Duration deadline) throws IOException {
    return readUntilClosed(64 * 1024, Duration.ofMillis(200), Duration.ZERO, deadline);
  }

  /**
   * Reads slowly, as a client on a poor network does: at most {@code bytes} every {@code every},
   * until the relay closes the connection.
   *
   * @return true if the relay closed it within {@code deadline}
   */
  public boolean trickleUntilClosed(int bytes, Duration every, Duration deadline)
      throws IOException {
    return readUntilClosed(bytes, every, every, deadline);
  }

  private boolean readUntilClosed(int bytes, Duration wait, Duration pace, Duration deadline)
      throws IOException {
    long end = System.nanoTime() + deadline.toNanos();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[bytes];
    socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
    while (System.nanoTime() < end) {
      long next = System.nanoTime() + pace.toNanos();
      try {
        if (in.read(buffer) < 0) {
          return true;
        }
      } catch (SocketTimeoutException e) {
        // nothing this time; keep reading until the deadline
      } catch (SocketException e) {
        return true; // reset by the relay
      }
      LockSupport.parkNanos(next - System.nanoTime()); // the client's pace, not a wait
    }
    return false;
  }

  private static String readHeaders(InputStream in) throws IOException {
    ByteArrayOutputStream headers = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed during the handshake");
      }
      headers.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return headers.toString(US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
