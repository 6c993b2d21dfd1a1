package org.redisalerts.listen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ServerHandshake;
import org.redisalerts.common.Durations;

/**
 * One WebSocket connection to the relay. Its callbacks (on the library's thread) only put events on
 * the session's queue; the session reacts on its own thread.
 */
final class RelayConnection extends WebSocketClient {

  /** What the connection reports, plus the session's own stop request. */
  sealed interface Event permits Opened, Frame, Closed, Stop {}

  record Opened() implements Event {}

  record Frame(String text) implements Event {}

  /**
   * @param error what the library reported before the close, or null
   * @param tlsFailure for people, why the TLS handshake failed; null when it did not
   */
  record Closed(int code, String reason, boolean remote, String error, String tlsFailure)
      implements Event {}

  record Stop() implements Event {}

  /** How long the relay has to complete the TLS handshake. */
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  /** Ends handshakes that outlast {@link #HANDSHAKE_TIMEOUT}: one daemon thread for all. */
  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "listen-handshake-deadline");
            t.setDaemon(true);
            return t;
          });

  private final BlockingQueue<Event> events;
  private volatile String lastError;
  private volatile String tlsFailure;

  /**
   * @param tls the TLS context for a {@code wss://} URL; null for {@code ws://}
   */
  RelayConnection(URI url, SSLContext tls, BlockingQueue<Event> events) {
    super(url);
    this.events = events;
    setConnectionLostTimeout(30);
    if (tls != null) {
      setSocketFactory(tls.getSocketFactory());
    }
  }

  /**
   * Completes the TLS handshake here, on the connecting thread, before the library starts its
   * writing thread and goes on reading. Left to those two, both start it at once: when it fails,
   * the one that waited sees only a broken socket and may close the connection before the other
   * reports why, so a certificate for another host looked like a dropped connection and {@code
   * listen} reconnected instead of exiting 7.
   */
  @Override
  protected void onSetSSLParameters(SSLParameters parameters) {
    super.onSetSSLParameters(parameters);
    SSLSocket socket = (SSLSocket) getSocket();
    // The whole handshake is bounded, not each read: a relay that sends a byte now and then would
    // step around a read timeout.
    AtomicBoolean expired = new AtomicBoolean();
    ScheduledFuture<?> deadline =
        DEADLINES.schedule(
            () -> {
              expired.set(true);
              closeQuietly(socket);
            },
            HANDSHAKE_TIMEOUT.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      socket.setSSLParameters(parameters);
      socket.startHandshake();
    } catch (IOException e) {
      // The library reports what its connecting thread throws through onError, then closes.
      throw new UncheckedIOException(
          expired.get()
              ? new SocketTimeoutException(
                  "the relay did not complete the TLS handshake within "
                      + Durations.format(HANDSHAKE_TIMEOUT))
              : e);
    } finally {
      deadline.cancel(false);
    }
  }

  /** Drops the connection at once, even while it is still connecting. */
  void abort() {
    Socket socket = getSocket();
    if (socket != null) {
      closeQuietly(socket); // ends a handshake that waits for the relay
    }
    closeConnection(CloseFrame.NORMAL, "aborted");
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void onOpen(ServerHandshake handshake) {
    events.add(new Opened());
  }

  @Override
  public void onMessage(String message) {
    events.add(new Frame(message));
  }

  @Override
  public void onMessage(ByteBuffer bytes) {
    // The relay sends text frames only; a binary frame is not an alert.
  }

  @Override
  public void onClose(int code, String reason, boolean remote) {
    events.add(new Closed(code, reason, remote, lastError, tlsFailure));
  }

  @Override
  public void onError(Exception error) {
    Exception ex = error instanceof UncheckedIOException wrapped ? wrapped.getCause() : error;
    lastError = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    String tls = RelayTrust.explain(ex, getURI().getHost());
    if (tls != null) {
      tlsFailure = tls;
    }
  }
}
