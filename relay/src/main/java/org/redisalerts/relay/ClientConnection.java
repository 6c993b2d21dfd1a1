package org.redisalerts.relay;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.enums.ReadyState;
import org.java_websocket.exceptions.WebsocketNotConnectedException;

/**
 * One client's WebSocket, the key it identified with, and a send that reports how much of what was
 * sent actually reached the socket.
 *
 * <p>The key is written by the connection's decoder thread and read by any thread.
 */
final class ClientConnection {

  private static final AtomicLong IDS = new AtomicLong();

  private final WebSocket socket;
  private final long id = IDS.incrementAndGet();
  private final String remote;
  private volatile String key;

  /** Orders alert batches against a change of key; held while one batch is queued. */
  private final Object sendLock = new Object();

  private volatile ScheduledFuture<?> identifyDeadline;

  ClientConnection(WebSocket socket) {
    this.socket = socket;
    InetSocketAddress address = socket.getRemoteSocketAddress();
    this.remote =
        address == null ? "?" : address.getAddress().getHostAddress() + ":" + address.getPort();
  }

  /** The key it is identified with, or null before it identifies. */
  String key() {
    return key;
  }

  /**
   * Switches to {@code newKey} and sends the reply, as one step with respect to {@link #send}: once
   * the reply is queued, no alert of the previous key follows it.
   */
  void identifiedAs(String newKey, String replyJson) {
    synchronized (sendLock) {
      this.key = newKey;
      reply(replyJson);
    }
    ScheduledFuture<?> deadline = identifyDeadline;
    if (deadline != null) {
      deadline.cancel(false);
    }
  }

  void identifyDeadline(ScheduledFuture<?> deadline) {
    this.identifyDeadline = deadline;
  }

  /** Sends one of the relay's own replies; lost silently if the client has gone. */
  void reply(String json) {
    try {
      socket.send(json);
    } catch (WebsocketNotConnectedException e) {
      // The client went away; its close is handled by onClose.
    }
  }

  /** Sends an error reply, then closes with {@code code} and {@code reason}. */
  void refuse(String errorJson, int code, String reason) {
    reply(errorJson);
    socket.close(code, reason);
  }

  /**
   * Closes a client that stopped reading: a close frame first, and if that cannot get through its
   * full buffer within {@code grace}, the TCP connection itself.
   */
  void closeStalled(int code, String reason, ScheduledExecutorService timer, long graceMillis) {
    socket.close(code, reason);
    timer.schedule(
        () -> {
          if (socket.getReadyState() != ReadyState.CLOSED) {
            ((WebSocketImpl) socket).closeConnection(code, reason);
          }
        },
        graceMillis,
        TimeUnit.MILLISECONDS);
  }

  boolean isOpen() {
    return socket.isOpen();
  }

  /**
   * Queues a batch of alerts of {@code forKey}, unless the connection has identified with another
   * key meanwhile.
   *
   * @return completes, on the selector thread, with how many of the alerts (from the first) were
   *     written to the socket: all of them, or fewer when it closed first, or none when it had
   *     switched keys
   */
  CompletableFuture<Integer> send(String forKey, AlertFrames frames) {
    long end;
    synchronized (sendLock) {
      if (!forKey.equals(key)) {
        return CompletableFuture.completedFuture(0);
      }
      try {
        socket.sendFrame(frames.frames());
      } catch (WebsocketNotConnectedException e) {
        return CompletableFuture.completedFuture(0);
      }
      // At least the batch's true end: a ping or pong queued meanwhile only moves it later.
      end = draft().queuedBytes();
    }
    long start = end - frames.length();
    return channel().whenWritten(end).thenApply(written -> frames.framesWithin(written - start));
  }

  /** Called once when the connection has closed; completes pending sends. */
  void closed() {
    ScheduledFuture<?> deadline = identifyDeadline;
    if (deadline != null) {
      deadline.cancel(false);
    }
    if (((WebSocketImpl) socket).getChannel() instanceof WrittenBytesChannel channel) {
      channel.markClosed();
    }
  }

  private QueuedBytesDraft draft() {
    return (QueuedBytesDraft) socket.getDraft();
  }

  private WrittenBytesChannel channel() {
    return (WrittenBytesChannel) ((WebSocketImpl) socket).getChannel();
  }

  @Override
  public String toString() {
    return "#" + id + " " + remote;
  }
}
