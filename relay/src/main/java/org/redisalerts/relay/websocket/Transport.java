package org.redisalerts.relay.websocket;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A connection's byte stream as the WebSocket protocol sees it: plain TCP, or TLS over it. Besides
 * moving bytes it answers the question the relay's delivery guarantee rests on: how many of the
 * bytes given to {@link #write} have been handed on to the kernel for the socket ({@link
 * #handedOn}). For plain TCP that is what the kernel accepted; under TLS, plaintext counts once the
 * whole record that carries it was accepted by the kernel.
 *
 * <p>Only the selector thread calls it, except {@link #close}.
 */
interface Transport {

  /**
   * Reads plaintext into {@code dst}.
   *
   * @return bytes read, 0 when none are available now, -1 at the end of the stream
   */
  int read(ByteBuffer dst) throws IOException;

  /** Takes plaintext from {@code src} (advancing its position) and sends what it can. */
  void write(ByteBuffer src) throws IOException;

  /**
   * Sends what the transport holds of its own (TLS records, handshake messages).
   *
   * @return true when it holds nothing more to send
   */
  boolean flush() throws IOException;

  /** Plaintext bytes taken by {@link #write} so far whose bytes the kernel has accepted. */
  long handedOn();

  /** Whether the transport's own handshake (TLS) is complete; always true for plain TCP. */
  boolean ready();

  /** Whether the transport wants to be called when the socket can be written. */
  boolean wantsWrite();

  /** Closes the socket (idempotent; any thread). */
  void close();
}
