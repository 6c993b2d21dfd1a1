package org.redisalerts.bench.ws;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * How a connection's bytes meet its socket. {@link #PLAIN} is {@code ws://}; {@link TlsTransport}
 * ({@code wss://}) adds an {@code SSLEngine} and its own handshake, without the framing or the loop
 * knowing more than {@link #handshake}, {@link #hasPendingOutput} and {@link #hasBufferedInput}.
 */
public interface Transport {

  /** Reads what the peer sent into {@code dst}; -1 at the end of the stream. */
  int read(SocketChannel channel, ByteBuffer dst) throws IOException;

  /** Writes what it can of {@code src}; returns the bytes taken from it. */
  int write(SocketChannel channel, ByteBuffer src) throws IOException;

  /**
   * Advances the transport's own handshake, once the TCP connection is up; true when it is done and
   * the WebSocket upgrade may be sent, false when it waits for the socket.
   */
  default boolean handshake(SocketChannel channel) throws IOException {
    return true;
  }

  /** Whether bytes taken by {@link #write} still wait for the socket. */
  default boolean hasPendingOutput() {
    return false;
  }

  /** Whether {@link #read} holds bytes that did not fit the last buffer it was given. */
  default boolean hasBufferedInput() {
    return false;
  }

  Transport PLAIN =
      new Transport() {
        @Override
        public int read(SocketChannel channel, ByteBuffer dst) throws IOException {
          return channel.read(dst);
        }

        @Override
        public int write(SocketChannel channel, ByteBuffer src) throws IOException {
          return channel.write(src);
        }
      };
}
