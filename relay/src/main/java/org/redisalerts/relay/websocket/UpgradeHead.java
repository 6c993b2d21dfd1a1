package org.redisalerts.relay.websocket;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.util.Base64;
import java.util.Locale;

/**
 * The few headers of an upgrade request that the relay checks itself before the library parses the
 * request: {@code Origin} (the allowed origins), and {@code Upgrade} and {@code
 * Sec-WebSocket-Version}, so that a plain HTTP request or another WebSocket version gets a clear
 * answer from the relay (426, RFC 6455 4.2.2 and 4.4) rather than the library's 404, which names
 * the library in a Server header.
 *
 * <p>Then what RFC 6455 4.2.1 asks of the rest of the request ({@link #problem}): a malformed one
 * gets 400 with the reason, where the library answered 404, or even 101 to a malformed key.
 *
 * @param requestLine the request line ({@code GET /path HTTP/1.1})
 * @param origin the Origin header, or null when it has none (or an empty one)
 * @param upgrade the Upgrade header, or null
 * @param version the Sec-WebSocket-Version header, or null
 * @param connection the Connection header, or null
 * @param key the Sec-WebSocket-Key header, or null
 */
record UpgradeHead(
    String requestLine,
    String origin,
    String upgrade,
    String version,
    String connection,
    String key) {

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
    String connection = null;
    String key = null;
    int first = indexOfLineEnd(head, 0, end + 2);
    String requestLine = new String(head, 0, Math.max(0, first), US_ASCII);
    int line = first + 2; // past the request line
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
          case "connection" -> connection = once(connection, value, "Connection");
          case "sec-websocket-key" -> key = once(key, value, "Sec-WebSocket-Key");
          default -> {
            // the library reads the rest
          }
        }
      }
      line = next + 2;
    }
    return new UpgradeHead(
        requestLine,
        origin == null || origin.isEmpty() ? null : origin,
        upgrade,
        version,
        connection,
        key);
  }

  /**
   * What makes this upgrade request malformed (RFC 6455 4.2.1), or null when nothing does: a GET of
   * HTTP/1.1 or later, with Connection naming Upgrade, and a Sec-WebSocket-Key of 16 bytes in
   * base64.
   */
  String problem() {
    String[] parts = requestLine.split(" ", -1);
    if (parts.length != 3 || !parts[0].equals("GET")) {
      return "the method must be GET";
    }
    String version = parts[2];
    if (version.length() != 8
        || !version.startsWith("HTTP/1.")
        || version.charAt(7) < '1'
        || version.charAt(7) > '9') {
      return "HTTP/1.1 is needed";
    }
    if (connection == null || !hasToken(connection, "upgrade")) {
      return "no Connection: Upgrade";
    }
    if (key == null) {
      return "no Sec-WebSocket-Key";
    }
    byte[] nonce;
    try {
      nonce = Base64.getDecoder().decode(key);
    } catch (IllegalArgumentException e) {
      nonce = null;
    }
    if (nonce == null || nonce.length != 16) {
      return "the Sec-WebSocket-Key is not 16 bytes in base64";
    }
    return null;
  }

  private static boolean hasToken(String header, String token) {
    for (String t : header.split(",")) {
      if (t.trim().equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the request asks for a WebSocket (its Upgrade header names the websocket token). */
  boolean asksForWebSocket() {
    return upgrade != null && hasToken(upgrade, "websocket");
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
