package org.redisalerts.relay;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.redisalerts.common.ClientMessage;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.ProtocolException;
import org.redisalerts.common.ServerReply;
import org.redisalerts.relay.RelayMetrics.Refusal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket side: accepts clients on any path, enforces the identify deadline, the frame size
 * limit and the allow-list, answers identifies, and tells the dispatcher who is who. It never
 * touches Redis and never blocks its callbacks.
 */
final class ClientSocketServer extends WebSocketServer {

  private static final Logger log = LoggerFactory.getLogger(ClientSocketServer.class);

  /** How often connections are checked for output the library left unwritten. */
  static final long REARM_PERIOD_MS = 200;

  private final AccessPolicy policy;
  private final JsonCodec codec;
  private final ClientEvents events;
  private final ScheduledExecutorService timer;
  private final RelayMetrics metrics;
  private final Duration identifyTimeout;
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private final int maxConnections;
  private final int maxFrameBytes;

  /** Connections opened and not yet closed, refused ones included until they close. */
  private final AtomicInteger openConnections = new AtomicInteger();

  private volatile ScheduledFuture<?> rearm;

  ClientSocketServer(
      RelayConfig config,
      AccessPolicy policy,
      JsonCodec codec,
      ClientEvents events,
      ScheduledExecutorService timer,
      RelayMetrics metrics) {
    super(
        new InetSocketAddress(config.bind(), config.port()),
        2,
        List.of(new QueuedBytesDraft(config.maxFrameBytes())));
    this.policy = policy;
    this.codec = codec;
    this.events = events;
    this.timer = timer;
    this.metrics = metrics;
    this.identifyTimeout = config.identifyTimeout();
    this.maxConnections = config.maxConnections();
    this.maxFrameBytes = config.maxFrameBytes();
    setWebSocketFactory(new TrackingSocketFactory());
    setReuseAddr(true);
    setTcpNoDelay(true);
    setConnectionLostTimeout((int) config.pingInterval().toSeconds());
  }

  /** Starts listening; returns once bound, or throws why it could not bind. */
  void startListening(Duration timeout) throws IOException, InterruptedException {
    start();
    try {
      started.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IOException(
          "cannot listen on "
              + getAddress().getHostString()
              + ":"
              + getAddress().getPort()
              + ": "
              + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("WebSocket server did not start within " + timeout);
    }
  }

  @Override
  public void onStart() {
    rearm =
        timer.scheduleWithFixedDelay(
            this::rearmLostWrites, REARM_PERIOD_MS, REARM_PERIOD_MS, TimeUnit.MILLISECONDS);
    started.complete(null);
  }

  @Override
  public void stop(int timeout, String closeMessage) throws InterruptedException {
    ScheduledFuture<?> task = rearm;
    if (task != null) {
      task.cancel(false);
    }
    super.stop(timeout, closeMessage);
  }

  /**
   * Works around a race in Java-WebSocket 1.6.0 ({@code WebSocketServer.doWrite}): once the
   * selector thread has written a connection's whole queue, it sets the connection's interest back
   * to read-only; a frame another thread queues (and asks to be written) between the selector's
   * last look at the queue and that reset loses its write interest and waits for the next write
   * demand, up to a ping interval later, holding up its key. Connections with queued output and no
   * write interest get their write demand again here, so such a frame waits at most {@link
   * #REARM_PERIOD_MS}.
   */
  private void rearmLostWrites() {
    for (WebSocket socket : getConnections()) {
      WebSocketImpl connection = (WebSocketImpl) socket;
      SelectionKey key = connection.getSelectionKey();
      try {
        if (key != null
            && key.isValid()
            && connection.hasBufferedData()
            && (key.interestOps() & SelectionKey.OP_WRITE) == 0) {
          log.info(
              "write interest lost by the WebSocket library, restored client={}",
              socket.<ClientConnection>getAttachment());
          onWriteDemand(connection);
        }
      } catch (CancelledKeyException e) {
        // Closed meanwhile: nothing left to write.
      }
    }
  }

  @Override
  public void onOpen(WebSocket socket, ClientHandshake handshake) {
    ClientConnection connection = new ClientConnection(socket);
    socket.setAttachment(connection);
    int open = openConnections.incrementAndGet();
    if (open > maxConnections) {
      log.info(
          "client refused: {} connections are open, the limit is {} client={}",
          open - 1,
          maxConnections,
          connection);
      metrics.refused(Refusal.TOO_MANY_CONNECTIONS);
      connection.refuse(
          codec.write(ServerReply.error("too many connections; try again later", null)),
          CloseFrame.TRY_AGAIN_LATER,
          "too many connections");
      return;
    }
    connection.identifyDeadline(
        timer.schedule(
            () -> {
              if (connection.key() == null && connection.isOpen()) {
                refuse(
                    connection,
                    Refusal.IDENTIFY_DEADLINE,
                    "no identify within " + identifyTimeout.toMillis() + " ms",
                    "identify deadline passed",
                    null);
              }
            },
            identifyTimeout.toMillis(),
            TimeUnit.MILLISECONDS));
  }

  @Override
  public void onMessage(WebSocket socket, String text) {
    ClientConnection connection = socket.getAttachment();
    ClientMessage message;
    try {
      message = codec.parseClientMessage(text);
    } catch (ProtocolException e) {
      refuse(connection, Refusal.MALFORMED, e.getMessage(), e.getMessage(), null);
      return;
    }
    if (!message.isIdentify()) {
      log.debug("ignored event \"{}\" from client={}", message.event(), connection);
      return;
    }
    String key = message.queue();
    if (key == null) {
      refuse(
          connection,
          Refusal.MALFORMED,
          "identify has no \"queue\"",
          "identify has no queue",
          null);
      return;
    }
    AccessPolicy.Denial denial = policy.refusal(key);
    if (denial != null) {
      refuse(connection, denial.reason(), denial.message(), denial.message(), key);
      return;
    }
    String previous = connection.key();
    if (key.equals(previous)) {
      return; // identifying again with the same key changes nothing
    }
    connection.identifiedAs(key, codec.write(ServerReply.connected(key)));
    events.identified(connection, previous, key);
  }

  @Override
  public void onMessage(WebSocket socket, ByteBuffer bytes) {
    ClientConnection connection = socket.getAttachment();
    log.info("client refused: binary frame client={}", connection);
    metrics.refused(Refusal.BINARY_FRAME);
    connection.refuse(
        codec.write(ServerReply.error("binary frames are not accepted", null)),
        CloseFrame.REFUSE,
        "binary frames are not accepted");
  }

  @Override
  public void onClose(WebSocket socket, int code, String reason, boolean remote) {
    ClientConnection connection = socket.getAttachment();
    if (connection != null) {
      openConnections.decrementAndGet();
      if (code == CloseFrame.TOOBIG && !remote) {
        log.info("client refused: frame over {} bytes client={}", maxFrameBytes, connection);
        metrics.refused(Refusal.FRAME_TOO_BIG);
      }
      connection.closed();
      events.closed(connection, code, reason);
    }
  }

  @Override
  public void onError(WebSocket socket, Exception error) {
    if (socket == null) {
      if (!started.completeExceptionally(error)) {
        log.error("WebSocket server failed: {}", error.toString());
      }
      return;
    }
    ClientConnection connection = socket.getAttachment();
    log.debug("client error client={}: {}", connection, error.toString());
  }

  /** Connections open right now (identified or not). */
  int openConnections() {
    return openConnections.get();
  }

  private void refuse(
      ClientConnection connection, Refusal why, String message, String reason, String key) {
    metrics.refused(why);
    log.info(
        "client refused: {}{} client={}", reason, key == null ? "" : " key=" + key, connection);
    String closeReason = reason.length() > 120 ? reason.substring(0, 120) : reason;
    connection.refuse(
        codec.write(ServerReply.error(message, key)), CloseFrame.POLICY_VALIDATION, closeReason);
  }
}
