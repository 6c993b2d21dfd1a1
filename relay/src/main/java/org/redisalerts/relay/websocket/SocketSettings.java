package org.redisalerts.relay.websocket;

import java.time.Duration;

/**
 * What the socket side is told, checked once.
 *
 * @param bind the address to listen on
 * @param port the port; 0 picks a free one
 * @param backlog connections the kernel may hold before they are accepted
 * @param maxConnections the most TCP connections held at once, from accept to close; one accepted
 *     beyond it is refused (politely when it completes its handshake, at once past a small reserve)
 * @param maxConnectionsPerIp the most held from one address; 0: no such limit
 * @param handshakeTimeout how long a connection may take to complete its handshakes (TLS and
 *     WebSocket); then it is closed
 * @param maxHandshakeBytes the largest HTTP upgrade request accepted
 * @param maxMessageBytes the largest message a client may send, fragments assembled
 * @param pingInterval how often open connections are pinged; one that has not answered the previous
 *     ping is dropped
 * @param writeTimeout how long output may wait for a client that does not read, and how long a
 *     batch may take to be written from when it was queued (that long for each MiB it holds, at
 *     least once), before the connection is closed as too slow
 * @param decoders threads that decode what clients send
 * @param origins which browser pages may open a connection
 * @param tls the certificate to serve {@code wss://} with; null for plain {@code ws://}
 */
public record SocketSettings(
    String bind,
    int port,
    int backlog,
    int maxConnections,
    int maxConnectionsPerIp,
    Duration handshakeTimeout,
    int maxHandshakeBytes,
    int maxMessageBytes,
    Duration pingInterval,
    Duration writeTimeout,
    int decoders,
    OriginPolicy origins,
    TlsContext tls) {

  public SocketSettings {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (backlog < 1) {
      throw new IllegalArgumentException("backlog must be positive: " + backlog);
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("max connections must be at least 1: " + maxConnections);
    }
    if (maxConnectionsPerIp < 0) {
      throw new IllegalArgumentException(
          "max connections per address must not be negative: " + maxConnectionsPerIp);
    }
    if (maxHandshakeBytes < 1024) {
      throw new IllegalArgumentException("handshake limit too small: " + maxHandshakeBytes);
    }
    if (decoders < 1) {
      throw new IllegalArgumentException("at least one decoder: " + decoders);
    }
  }

  /** Connections accepted beyond {@link #maxConnections} that may still be told why they go. */
  int refusalReserve() {
    return Math.max(16, maxConnections / 16);
  }
}
