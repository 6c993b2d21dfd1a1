package org.redisalerts.bench.ws;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * {@code wss://}: an {@link SSLEngine} between a connection and its socket. The TLS handshake runs
 * first ({@link #handshake}, driven by the loop's readable and writable events); then reads unwrap
 * and writes wrap. One per connection; only touched by the connection's loop thread.
 */
final class TlsTransport implements Transport {

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final SSLEngine engine;

  /** Encrypted bytes read and not yet unwrapped; write mode. */
  private ByteBuffer netIn;

  /** Encrypted bytes not yet written; read mode. */
  private ByteBuffer netOut;

  /** Plain bytes unwrapped and not yet handed out (the caller's buffer was full); read mode. */
  private ByteBuffer appIn;

  private boolean begun;
  private boolean inputEnded;

  TlsTransport(SSLEngine engine) {
    this.engine = engine;
    engine.setUseClientMode(true);
    int packet = engine.getSession().getPacketBufferSize();
    this.netIn = ByteBuffer.allocate(4 * packet); // several records per read
    this.netOut = ByteBuffer.allocate(packet).flip();
    this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize()).flip();
  }

  @Override
  public boolean handshake(SocketChannel channel) throws IOException {
    if (!begun) {
      begun = true;
      engine.beginHandshake();
    }
    while (true) {
      if (!flush(channel)) {
        return false;
      }
      HandshakeStatus status = engine.getHandshakeStatus();
      switch (status) {
        case NEED_TASK -> runTasks();
        case NEED_WRAP -> wrap(EMPTY);
        case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
          if (!unwrapOnce(channel)) {
            return false;
          }
        }
        default -> {
          return true; // FINISHED or NOT_HANDSHAKING
        }
      }
    }
  }

  @Override
  public boolean hasPendingOutput() {
    return netOut.hasRemaining();
  }

  @Override
  public boolean hasBufferedInput() {
    return appIn.hasRemaining();
  }

  @Override
  public int read(SocketChannel channel, ByteBuffer dst) throws IOException {
    int start = dst.position();
    drainAppIn(dst);
    if (!inputEnded && netIn.hasRemaining()) {
      if (channel.read(netIn) < 0) {
        inputEnded = true;
      }
    }
    netIn.flip();
    try {
      while (netIn.hasRemaining() && !appIn.hasRemaining()) {
        SSLEngineResult r = engine.unwrap(netIn, appIn.compact());
        appIn.flip();
        drainAppIn(dst);
        if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
          runTasks();
        }
        if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
          wrap(EMPTY); // a post-handshake message (a key update) wants an answer
          flush(channel);
        }
        if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
          growNetIn();
          break;
        }
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
          inputEnded = true;
          break;
        }
        if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
          break;
        }
      }
    } finally {
      netIn.compact();
    }
    int produced = dst.position() - start;
    return produced == 0 && inputEnded && !appIn.hasRemaining() ? -1 : produced;
  }

  @Override
  public int write(SocketChannel channel, ByteBuffer src) throws IOException {
    int start = src.position();
    while (flush(channel) && src.hasRemaining()) {
      wrap(src);
    }
    return src.position() - start;
  }

  /** Writes what it can of the encrypted bytes; true when none are left. */
  private boolean flush(SocketChannel channel) throws IOException {
    while (netOut.hasRemaining()) {
      if (channel.write(netOut) == 0) {
        return false;
      }
    }
    return true;
  }

  /** Wraps {@code src} (or a handshake message) behind what {@link #netOut} holds. */
  private void wrap(ByteBuffer src) throws SSLException {
    int packet = engine.getSession().getPacketBufferSize();
    if (netOut.capacity() - netOut.remaining() < packet) {
      ByteBuffer bigger = ByteBuffer.allocate(netOut.remaining() + packet);
      bigger.put(netOut).flip();
      netOut = bigger;
    }
    netOut.compact();
    SSLEngineResult r = engine.wrap(src, netOut);
    netOut.flip();
    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
      throw new SSLException("TLS session closed");
    }
    if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
      runTasks();
    }
  }

  /** Reads and unwraps one handshake message; false when it has not all arrived yet. */
  private boolean unwrapOnce(SocketChannel channel) throws IOException {
    netIn.flip();
    SSLEngineResult r;
    try {
      r = netIn.hasRemaining() ? engine.unwrap(netIn, appIn.compact()) : null;
      if (r != null) {
        appIn.flip();
      }
    } finally {
      netIn.compact();
    }
    if (r != null && r.getStatus() == SSLEngineResult.Status.OK) {
      return true;
    }
    if (r != null && r.getStatus() == SSLEngineResult.Status.CLOSED) {
      throw new EOFException("the server closed TLS during its handshake");
    }
    if (r != null && r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
      growNetIn();
    }
    int n = channel.read(netIn);
    if (n < 0) {
      throw new EOFException("the server closed the connection during the TLS handshake");
    }
    return n > 0;
  }

  private void growNetIn() {
    int packet = engine.getSession().getPacketBufferSize();
    if (netIn.remaining() < packet) {
      ByteBuffer bigger = ByteBuffer.allocate(netIn.position() + packet);
      netIn.flip();
      bigger.put(netIn);
      netIn = bigger;
    }
  }

  private void drainAppIn(ByteBuffer dst) {
    if (!appIn.hasRemaining()) {
      return;
    }
    int n = Math.min(appIn.remaining(), dst.remaining());
    ByteBuffer slice = appIn.duplicate();
    slice.limit(slice.position() + n);
    dst.put(slice);
    appIn.position(appIn.position() + n);
  }

  private void runTasks() {
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) {
      task.run();
    }
  }
}
