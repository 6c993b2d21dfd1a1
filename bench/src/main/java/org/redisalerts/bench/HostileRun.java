package org.redisalerts.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * What the relay holds when every client does the worst it may: {@code --hostile K} opens K
 * connections that each complete the upgrade and then send a text message in fragments up to one
 * byte short of the relay's message limit, and never finish it (the relay must hold what was sent
 * until the message ends or the connection goes); one in {@code upgradeEvery} sends an upgrade
 * request up to one byte short of its limit instead and never ends it. Then it reads the relay's
 * heap after a full GC ({@code jcmd GC.run}, {@code GC.heap_info}) and its RSS, before and after.
 * The connections are closed by the relay's deadlines (the unfinished upgrades) or by this tool at
 * the end.
 */
public final class HostileRun {

  private final Target target;
  private final int connections;
  private final int maxMessageBytes;
  private final int maxHandshakeBytes;
  private final int upgradeEvery;

  /**
   * @param upgradeEvery one connection in this many sends an unfinished upgrade request instead (0:
   *     none)
   */
  public HostileRun(
      Target target,
      int connections,
      int maxMessageBytes,
      int maxHandshakeBytes,
      int upgradeEvery) {
    if (target.pid().isEmpty()) {
      throw new IllegalArgumentException(
          "--hostile needs the relay's process: --start or --relay-pid");
    }
    this.target = target;
    this.connections = connections;
    this.maxMessageBytes = maxMessageBytes;
    this.maxHandshakeBytes = maxHandshakeBytes;
    this.upgradeEvery = upgradeEvery;
  }

  /** The measurement. */
  public record Result(
      String target,
      int connections,
      int upgraded,
      int halfUpgrades,
      long heapBeforeKb,
      long heapAfterKb,
      long rssBeforeKb,
      long rssAfterKb) {

    public String toJson() {
      return String.format(
          Locale.ROOT,
          "{\"case\":\"hostile\",\"target\":\"%s\",\"connections\":%d,\"upgraded\":%d,"
              + "\"halfUpgrades\":%d,\"heapBeforeKb\":%d,\"heapAfterKb\":%d,\"rssBeforeKb\":%d,"
              + "\"rssAfterKb\":%d}",
          target,
          connections,
          upgraded,
          halfUpgrades,
          heapBeforeKb,
          heapAfterKb,
          rssBeforeKb,
          rssAfterKb);
    }

    public String toTable() {
      return String.format(
          Locale.ROOT,
          "hostile        %,d connections: %,d upgraded, each holding an unfinished message;"
              + " %,d unfinished upgrades%n"
              + "relay heap     %,d kB -> %,d kB after a full GC (%,.0f bytes per connection)%n"
              + "relay RSS      %,d kB -> %,d kB%n",
          connections,
          upgraded,
          halfUpgrades,
          heapBeforeKb,
          heapAfterKb,
          (heapAfterKb - heapBeforeKb) * 1024.0 / connections,
          rssBeforeKb,
          rssAfterKb);
    }
  }

  public Result run() throws IOException, InterruptedException {
    long pid = target.pid().getAsLong();
    URI relay = target.relays().get(0);
    InetSocketAddress address = new InetSocketAddress(relay.getHost(), relay.getPort());
    long heapBefore = heapUsedKb(pid);
    long rssBefore = Processes.rssKb(pid);
    List<SocketChannel> open = new ArrayList<>(connections);
    int upgraded = 0;
    int half = 0;
    byte[] fragment = maskedFragment(maxMessageBytes - 1);
    try {
      for (int i = 0; i < connections; i++) {
        SocketChannel channel = SocketChannel.open(address);
        open.add(channel);
        if (upgradeEvery > 0 && i % upgradeEvery == upgradeEvery - 1) {
          writeAll(channel, unfinishedUpgrade(relay, maxHandshakeBytes - 1));
          half++;
          continue;
        }
        writeAll(channel, upgrade(relay));
        if (!readUpgradeResponse(channel)) {
          continue;
        }
        writeAll(channel, fragment);
        upgraded++;
      }
      TimeUnit.SECONDS.sleep(2); // let the relay read what was sent
      long heapAfter = heapUsedKb(pid);
      long rssAfter = Processes.rssKb(pid);
      return new Result(
          target.name(), connections, upgraded, half, heapBefore, heapAfter, rssBefore, rssAfter);
    } finally {
      for (SocketChannel channel : open) {
        try {
          channel.close();
        } catch (IOException e) {
          // going anyway
        }
      }
    }
  }

  private static void writeAll(SocketChannel channel, byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  private static byte[] upgrade(URI relay) {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    return ("GET "
            + (relay.getRawPath() == null || relay.getRawPath().isEmpty()
                ? "/"
                : relay.getRawPath())
            + " HTTP/1.1\r\nHost: "
            + relay.getHost()
            + ":"
            + relay.getPort()
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + Base64.getEncoder().encodeToString(key)
            + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(US_ASCII);
  }

  /** An upgrade request of {@code size} bytes whose head never ends. */
  private static byte[] unfinishedUpgrade(URI relay, int size) {
    String start = "GET / HTTP/1.1\r\nHost: " + relay.getHost() + "\r\nX-Padding: ";
    return (start + "p".repeat(size - start.length())).getBytes(US_ASCII);
  }

  private static boolean readUpgradeResponse(SocketChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(1024);
    StringBuilder head = new StringBuilder();
    while (head.indexOf("\r\n\r\n") < 0) {
      buffer.clear();
      int n = channel.read(buffer);
      if (n < 0) {
        return false;
      }
      head.append(new String(buffer.array(), 0, n, US_ASCII));
    }
    return head.toString().startsWith("HTTP/1.1 101");
  }

  /** A masked text frame, not final, with {@code length} payload bytes. */
  private static byte[] maskedFragment(int length) {
    int header = length < 126 ? 2 : 4;
    byte[] frame = new byte[header + 4 + length];
    frame[0] = 0x01; // FIN=0, text
    if (length < 126) {
      frame[1] = (byte) (0x80 | length);
    } else {
      frame[1] = (byte) (0x80 | 126);
      frame[2] = (byte) (length >>> 8);
      frame[3] = (byte) length;
    }
    // mask key 0: payload bytes stay as they are
    for (int i = header + 4; i < frame.length; i++) {
      frame[i] = 'a';
    }
    return frame;
  }

  /** Heap in use after a full GC, from {@code jcmd}. */
  static long heapUsedKb(long pid) throws IOException, InterruptedException {
    Processes.jcmdGc(pid);
    Process jcmd =
        new ProcessBuilder("jcmd", Long.toString(pid), "GC.heap_info")
            .redirectErrorStream(true)
            .start();
    String out = new String(jcmd.getInputStream().readAllBytes(), US_ASCII);
    jcmd.waitFor(30, TimeUnit.SECONDS);
    // Heap lines look like " def new generation   total 116160K, used 48243K [..." (Serial:
    // one per generation) or " garbage-first heap   total 262144K, used 5213K [..." (G1).
    long usedKb = 0;
    boolean found = false;
    for (String line : out.split("\n")) {
      String trimmed = line.trim();
      boolean heapLine =
          trimmed.startsWith("def new generation")
              || trimmed.startsWith("tenured generation")
              || trimmed.startsWith("garbage-first heap");
      int used = line.indexOf("used ");
      if (heapLine && used >= 0) {
        usedKb += Long.parseLong(line.substring(used + 5, line.indexOf('K', used)).trim());
        found = true;
      }
    }
    if (!found) {
      throw new IOException("no heap figure in jcmd GC.heap_info: " + out);
    }
    return usedKb;
  }
}
