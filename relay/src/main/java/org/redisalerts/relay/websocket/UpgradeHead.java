package org.redisalerts.relay.websocket;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.util.Locale;

/**
 * The few headers of an upgrade request that the relay checks itself before the library parses the
 * request: {@code Origin} (the allowed origins), and {@code Upgrade} and {@code
 * Sec-WebSocket-Version}, so that a plain HTTP request or another WebSocket version gets a clear
 * answer from the relay (426, RFC 6455 4.2.2 and 4.4) rather than the library's 404, which names
 * the library in a Server header.
 *
 * @param origin the Origin header, or null when it has none (or an empty one)
 * @param upgrade the Upgrade header, or null
 * @param version the Sec-WebSocket-Version header, or null
 */
record UpgradeHead(String origin, String upgrade, String version) {

  /** The WebSocket version this relay speaks (RFC 6455). */
  static final String VERSION = "13";

  /**
   * Reads the head of a request that ends at {@code end} (the index of its blank line).
   *
   * @throws IllegalArgumentException when one of the headers is given twice (which one counts?)
   */
  static UpgradeHead parse(byte[] head, int end) {
    String origin = null;
    String upgrade = null;
    String version = null;
    int line = indexOfLineEnd(head, 0, end) + 2; // past the request line
    while (line > 1 && line < end) {
      int next = indexOfLineEnd(head, line, end + 2);
      if (next < 0) {
        next = end;
      }
      int colon = indexOf(head, (byte) ':', line, next);
      if (colon > line) {
        String name = new String(head, line, colon - line, US_ASCII).toLowerCase(Locale.ROOT);
        String value = new String(head, colon + 1, next - colon - 1, US_ASCII).trim();
        switch (name) {
          case "origin" -> origin = once(origin, value, "Origin");
          case "upgrade" -> upgrade = once(upgrade, value, "Upgrade");
          case "sec-websocket-version" -> version = once(version, value, "Sec-WebSocket-Version");
          default -> {
            // the library reads the rest
          }
        }
      }
      line = next + 2;
    }
    return new UpgradeHead(origin == null || origin.isEmpty() ? null : origin, upgrade, version);
  }

  /** Whether the request asks for a WebSocket (its Upgrade header names the websocket token). */
  boolean asksForWebSocket() {
    if (upgrade == null) {
      return false;
    }
    for (String token : upgrade.split(",")) {
      if (token.trim().equalsIgnoreCase("websocket")) {
        return true;
      }
    }
    return false;
  }

  /** Whether it asks for the version this relay speaks. */
  boolean speaksVersion13() {
    return VERSION.equals(version);
  }

  private static String once(String before, String value, String header) {
    if (before != null) {
      throw new IllegalArgumentException("two " + header + " headers");
    }
    return value;
  }

  private static int indexOfLineEnd(byte[] data, int from, int to) {
    for (int i = from; i + 1 < Math.min(to, data.length); i++) {
      if (data[i] == '\r' && data[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static int indexOf(byte[] data, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (data[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
