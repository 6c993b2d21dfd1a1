package org.redisalerts.bench.ws;

import java.nio.ByteBuffer;

/**
 * What a {@link WsConnection} reports. Every call runs on the connection's loop thread, which
 * serves many connections: return quickly and never block.
 */
public interface WsListener {

  /** The upgrade was answered with 101: frames may be sent. */
  default void onOpen(WsConnection connection) {}

  /** A text message; {@code payload} is valid only during the call. */
  void onText(WsConnection connection, ByteBuffer payload);

  /**
   * The connection ended, once per connection. {@code code} is the peer's close code (1006 when the
   * socket ended without one); {@code cause} is set when it ended on an error (a refused connect, a
   * failed handshake, a protocol error). {@link WsConnection#wasOpen()} tells whether the handshake
   * had completed.
   */
  default void onClosed(WsConnection connection, int code, String reason, Throwable cause) {}
}
