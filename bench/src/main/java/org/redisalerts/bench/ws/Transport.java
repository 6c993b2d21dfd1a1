package org.redisalerts.bench.ws;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * How a connection's bytes meet its socket. {@link #PLAIN} is {@code ws://}; a TLS transport (an
 * {@code SSLEngine} wrapping on write and unwrapping on read, its handshake driven by the same two
 * calls) is what {@code wss://} adds, without the framing or the loop knowing.
 */
public interface Transport {

  /** Reads what the peer sent into {@code dst}; -1 at the end of the stream. */
  int read(SocketChannel channel, ByteBuffer dst) throws IOException;

  /** Writes what it can of {@code src}; returns the bytes written. */
  int write(SocketChannel channel, ByteBuffer src) throws IOException;

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
