package org.redisalerts.relay.websocket;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** Plain TCP: what the kernel accepted is what was handed on. */
final class PlainTransport implements Transport {

  private final SocketChannel channel;

  /** Only touched by the selector thread. */
  private long written;

  PlainTransport(SocketChannel channel) {
    this.channel = channel;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return channel.read(dst);
  }

  @Override
  public void write(ByteBuffer src) throws IOException {
    written += channel.write(src);
  }

  @Override
  public boolean flush() {
    return true;
  }

  @Override
  public long handedOn() {
    return written;
  }

  @Override
  public boolean ready() {
    return true;
  }

  @Override
  public boolean wantsWrite() {
    return false;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // Closing a socket that failed: nothing more can be done with it.
    }
  }
}
