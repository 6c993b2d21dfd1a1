package org.redisalerts.listen;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import javax.net.ssl.SSLContext;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

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
  public void onError(Exception ex) {
    lastError = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    String tls = RelayTrust.explain(ex, getURI().getHost());
    if (tls != null) {
      tlsFailure = tls;
    }
  }
}
