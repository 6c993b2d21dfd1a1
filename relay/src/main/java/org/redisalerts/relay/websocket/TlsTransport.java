package org.redisalerts.relay.websocket;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * TLS over a non-blocking socket with the JDK's {@link SSLEngine}. It never asks to be called for
 * anything it cannot do now: while the handshake waits for the client it wants neither to write nor
 * to be polled, so a client that connects and says nothing costs no CPU until the handshake
 * deadline closes it.
 *
 * <p>Plaintext given to {@link #write} counts as handed on once every TLS record that carries it
 * has been accepted by the kernel, which is the same promise plain TCP makes: the bytes left this
 * process for the socket.
 *
 * <p>Buffers are taken when needed and dropped when empty, so an idle connection holds none.
 * Selector thread only, except {@link #close}.
 */
final class TlsTransport implements Transport {

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final SocketChannel channel;
  private final SSLEngine engine;
  private final int packetSize;
  private final int applicationSize;

  /** Ciphertext read but not yet unwrapped (read mode), or null. */
  private ByteBuffer netIn;

  /** Plaintext unwrapped but not yet read (read mode), or null. */
  private ByteBuffer appIn;

  /** Ciphertext wrapped but not yet written (read mode), or null. */
  private ByteBuffer netOut;

  /** Plaintext taken by {@link #write} whose records are not all written yet. */
  private long inFlight;

  private long handedOn;
  private boolean ready;
  private boolean inboundClosed;
  private volatile boolean closed;

  TlsTransport(SocketChannel channel, SSLEngine engine) {
    this.channel = channel;
    this.engine = engine;
    this.packetSize = engine.getSession().getPacketBufferSize();
    this.applicationSize = engine.getSession().getApplicationBufferSize();
    try {
      engine.beginHandshake();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot start a TLS handshake", e);
    }
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    int n = takeApplication(dst);
    if (n > 0) {
      return n;
    }
    if (inboundClosed) {
      return -1;
    }
    if (netIn == null) {
      netIn = ByteBuffer.allocate(packetSize);
    } else {
      netIn.compact();
    }
    int read;
    try {
      read = channel.read(netIn);
    } finally {
      netIn.flip();
    }
    if (read < 0 && !netIn.hasRemaining()) {
      netIn = null;
      return -1;
    }
    unwrap();
    if (netIn != null && !netIn.hasRemaining()) {
      netIn = null;
    }
    n = takeApplication(dst);
    if (n == 0 && (read < 0 || inboundClosed)) {
      return -1;
    }
    return n;
  }

  /** Unwraps what was read; runs the handshake forward. */
  private void unwrap() throws IOException {
    while (netIn != null && netIn.hasRemaining() && !inboundClosed) {
      if (appIn == null) {
        appIn = ByteBuffer.allocate(applicationSize);
      } else {
        appIn.compact();
      }
      SSLEngineResult result;
      try {
        result = engine.unwrap(netIn, appIn);
      } finally {
        appIn.flip();
      }
      switch (result.getStatus()) {
        case BUFFER_UNDERFLOW -> {
          if (netIn.capacity() < engine.getSession().getPacketBufferSize()) {
            ByteBuffer bigger = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            bigger.put(netIn).flip();
            netIn = bigger;
          }
          return; // a partial record: wait for more bytes
        }
        case BUFFER_OVERFLOW -> {
          if (appIn.hasRemaining()) {
            return; // deliver what is there first
          }
          appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
          appIn.flip();
        }
        case CLOSED -> inboundClosed = true;
        case OK -> {
          // Go on while bytes remain.
        }
      }
      handshake(result.getHandshakeStatus());
    }
  }

  private int takeApplication(ByteBuffer dst) {
    if (appIn == null || !appIn.hasRemaining()) {
      appIn = null;
      return 0;
    }
    int n = Math.min(dst.remaining(), appIn.remaining());
    ByteBuffer slice = appIn.duplicate();
    slice.limit(slice.position() + n);
    dst.put(slice);
    appIn.position(appIn.position() + n);
    if (!appIn.hasRemaining()) {
      appIn = null;
    }
    return n;
  }

  /** Runs delegated tasks and produces handshake messages; notes completion. */
  private void handshake(HandshakeStatus status) throws IOException {
    while (true) {
      switch (status) {
        case NEED_TASK -> {
          Runnable task;
          while ((task = engine.getDelegatedTask()) != null) {
            task.run();
          }
          status = engine.getHandshakeStatus();
        }
        case NEED_WRAP -> {
          status = wrap(EMPTY).getHandshakeStatus();
          if (netOut != null && netOut.remaining() >= packetSize) {
            return; // let the socket take what is there first
          }
        }
        case FINISHED -> {
          ready = true;
          return;
        }
        case NOT_HANDSHAKING -> {
          if (!ready && engine.getSession().isValid()) {
            ready = true;
          }
          return;
        }
        default -> {
          return; // NEED_UNWRAP(_AGAIN): wait for the client
        }
      }
    }
  }

  /** Wraps from {@code src} into {@link #netOut}. */
  private SSLEngineResult wrap(ByteBuffer src) throws IOException {
    if (netOut == null) {
      netOut = ByteBuffer.allocate(packetSize);
      netOut.flip();
    }
    netOut.compact();
    if (netOut.remaining() < packetSize) {
      ByteBuffer bigger = ByteBuffer.allocate(netOut.position() + packetSize);
      netOut.flip();
      bigger.put(netOut);
      netOut = bigger;
    }
    SSLEngineResult result;
    try {
      result = engine.wrap(src, netOut);
    } finally {
      netOut.flip();
    }
    if (result.getStatus() == SSLEngineResult.Status.CLOSED && src != EMPTY) {
      throw new EOFException("TLS closed");
    }
    inFlight += result.bytesConsumed();
    return result;
  }

  @Override
  public void write(ByteBuffer src) throws IOException {
    if (!ready) {
      return;
    }
    while (src.hasRemaining()) {
      if (!flush()) {
        return;
      }
      SSLEngineResult result = wrap(src);
      handshake(result.getHandshakeStatus());
      if (result.bytesConsumed() == 0 && result.bytesProduced() == 0) {
        return;
      }
    }
    flush();
  }

  @Override
  public boolean flush() throws IOException {
    if (netOut == null) {
      if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
        handshake(HandshakeStatus.NEED_WRAP);
      }
      if (netOut == null) {
        return true;
      }
    }
    while (netOut.hasRemaining()) {
      if (channel.write(netOut) == 0) {
        return false;
      }
    }
    netOut = null;
    handedOn += inFlight;
    inFlight = 0;
    return true;
  }

  @Override
  public long handedOn() {
    return handedOn;
  }

  @Override
  public boolean ready() {
    return ready;
  }

  @Override
  public boolean wantsWrite() {
    return (netOut != null && netOut.hasRemaining())
        || (!closed && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP);
  }

  /** The TLS session, for tests and logs. */
  SSLEngine engine() {
    return engine;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      channel.close();
    } catch (IOException e) {
      // Nothing more to do with a socket that would not close.
    }
  }
}
