package org.redisalerts.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Memory per connection: opens K identified connections that then stay idle (plain sockets, so the
 * tool itself stays small), and reports how much the relay's resident memory grew, per connection.
 */
public final class IdleRun {

  private final URI relay;
  private final long relayPid;
  private final int connections;

  public IdleRun(URI relay, long relayPid, int connections) {
    this.relay = relay;
    this.relayPid = relayPid;
    this.connections = connections;
  }

  /** The result as one JSON line and a table line. */
  public record Result(
      int connections, long rssBeforeKb, long rssAfterKb, double bytesPerConnection) {
    public String toJson() {
      return String.format(
          Locale.ROOT,
          "{\"case\":\"idle\",\"connections\":%d,\"rssBeforeKb\":%d,\"rssAfterKb\":%d,\"bytesPerConnection\":%.0f}",
          connections,
          rssBeforeKb,
          rssAfterKb,
          bytesPerConnection);
    }

    public String toTable() {
      return String.format(
          Locale.ROOT,
          "idle connections %,d: relay RSS %,d kB -> %,d kB, %,.0f bytes each%n",
          connections,
          rssBeforeKb,
          rssAfterKb,
          bytesPerConnection);
    }
  }

  public Result run() throws IOException, InterruptedException {
    gc();
    long before = rssKb();
    List<Socket> sockets = new ArrayList<>(connections);
    try {
      for (int i = 0; i < connections; i++) {
        sockets.add(identify("alert/idle-" + i));
      }
      gc();
      long after = rssKb();
      return new Result(connections, before, after, (after - before) * 1024.0 / connections);
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  private Socket identify(String key) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(relay.getHost(), relay.getPort()), 10_000);
    socket.setSoTimeout(10_000);
    OutputStream out = socket.getOutputStream();
    out.write(
        ("GET / HTTP/1.1\r\nHost: "
                + relay.getHost()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(US_ASCII));
    InputStream in = socket.getInputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("relay closed during the handshake");
      }
      matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    byte[] payload = ("{\"event\":\"identify\",\"queue\":\"" + key + "\"}").getBytes(UTF_8);
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(0x81);
    frame.write(0x80 | payload.length);
    frame.write(new byte[4]);
    frame.write(payload);
    out.write(frame.toByteArray());
    // The reply: a short text frame (2-byte header, length in the second byte).
    int first = in.read();
    int length = in.read() & 0x7f;
    if (first != 0x81 || in.readNBytes(length).length != length) {
      throw new IOException("no reply to identify as " + key);
    }
    return socket;
  }

  private long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(relayPid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS for process " + relayPid);
  }

  /**
   * Asks the relay's JVM for a full GC, so that garbage does not count as memory per connection.
   */
  private void gc() throws IOException, InterruptedException {
    Process jcmd =
        new ProcessBuilder("jcmd", Long.toString(relayPid), "GC.run")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    jcmd.waitFor(30, TimeUnit.SECONDS);
  }
}
