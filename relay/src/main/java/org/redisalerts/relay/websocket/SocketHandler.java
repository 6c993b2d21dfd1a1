package org.redisalerts.relay.websocket;

/**
 * What the socket side tells the protocol above it. For one connection the calls come in order, on
 * that connection's decoder thread, and never overlap; {@link #closed} comes once, last, and only
 * for a connection that was {@link #opened}. Implementations must not block.
 */
public interface SocketHandler {

  /** The WebSocket handshake completed. */
  void opened(SocketConnection connection, Admission admission);

  /** A text message arrived (fragments assembled, within the size limit). */
  void text(SocketConnection connection, String text);

  /** A binary message arrived. */
  void binary(SocketConnection connection);

  /**
   * The client sent a ping (it is answered with a pong unless its output is backed up) or a pong
   * (an answer to the relay's ping, or one nobody asked for).
   */
  void controlFrame(SocketConnection connection);

  /**
   * Output has waited longer than the write timeout for a client that does not read, or a batch
   * longer than it may for one that reads too slowly (see {@link SocketSettings}). The handler
   * should close it; if the close frame cannot get through either, the TCP connection is closed a
   * moment later.
   */
  void tooSlow(SocketConnection connection);

  /**
   * The deadline set with {@link SocketConnection#alertsUntil} passed: alerts not written by then
   * were dropped (their batches report what got out). The handler should close the connection.
   */
  void deadlinePassed(SocketConnection connection);

  /**
   * The connection has closed.
   *
   * @param code the close code (1006 when the TCP connection ended without a close frame)
   * @param remote whether the client ended it
   */
  void closed(SocketConnection connection, int code, String reason, boolean remote);
}
