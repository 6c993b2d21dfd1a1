package org.redisalerts.relay.clients;

import java.util.ArrayList;
import java.util.List;
import org.redisalerts.relay.auth.Token;
import org.redisalerts.relay.websocket.BatchCallback;
import org.redisalerts.relay.websocket.FrameBatch;
import org.redisalerts.relay.websocket.SocketConnection;

/**
 * One client as the relay's protocol sees it: its socket, the key it identified with, and a send
 * that never lets an alert of a key follow the reply that switched the client to another key.
 *
 * <p>The key and the closed flag are written on the connection's decoder thread and read by any.
 */
public final class ClientConnection {

  private final SocketConnection socket;

  /** Orders alert batches against a change of key. */
  private final Object sendLock = new Object();

  private volatile String key;
  private volatile boolean closed;

  /** The token it identified (or last refreshed) with; null when tokens are off. */
  private volatile Token token;

  /** Its acknowledgements, when it identified with {@code "ack":true}; null otherwise. */
  private volatile AckWindow acks;

  /**
   * One identify of a connection: what a key's batches go to. Each identify (with another key, or
   * with acknowledgements, whose counts start over) is a new session, so a batch meant for the
   * previous one never reaches the next.
   *
   * @param identifiedAt when (nanoTime)
   */
  public record Session(ClientConnection connection, String key, long identifiedAt) {}

  /** The current session; null before the first identify. Written under {@link #sendLock}. */
  private volatile Session session;

  /**
   * The replies to its identifies of the current key while they are held; null once sent. Nothing
   * of the key is sent before them. Written under {@link #sendLock}; {@link #confirm} reads it
   * first without.
   */
  private volatile List<String> pendingReplies;

  /** When (nanoTime) the replies held now began to wait; see {@link #fallback}. */
  private long heldSince;

  /**
   * A fallback check is scheduled ({@link #armFallback}): at most one per connection, however many
   * times it identifies while its replies are held.
   */
  private boolean fallbackArmed;

  /**
   * Key changes a connection may make: 10 at once, then 10 a minute. A client switching keys now
   * and then (SPEC 2), even every few seconds, never notices; one switching many times a second
   * would otherwise make the relay log two lines for each (about 1 MB/s of log from 200
   * connections, as an outside probe measured).
   */
  static final int KEY_CHANGES_BURST = 10;

  static final double KEY_CHANGES_PER_SECOND = 10.0 / 60;

  /** Messages the client may still send; decoder thread only. */
  final MessageBudget budget;

  /**
   * Identifies with another key the client may still send (each logs a line for the key it leaves
   * and one for the key it joins); decoder thread only.
   */
  final MessageBudget keyChanges;

  /** When the WebSocket opened (nanoTime), for the identify deadline. */
  private final long openedAt;

  ClientConnection(SocketConnection socket, MessageBudget budget, long openedAt) {
    this.socket = socket;
    this.budget = budget;
    this.keyChanges = new MessageBudget(KEY_CHANGES_PER_SECOND, KEY_CHANGES_BURST, openedAt);
    this.openedAt = openedAt;
  }

  long openedAt() {
    return openedAt;
  }

  /** The key it is identified with, or null before it identifies. */
  public String key() {
    return key;
  }

  public long id() {
    return socket.id();
  }

  /** Closed (or closing): it takes no more alerts. */
  public boolean isClosed() {
    return closed || !socket.isOpen();
  }

  /**
   * Queues a batch of alerts for {@code to}, unless that is no longer this connection's session (it
   * identified again, with another key or with acknowledgements), the reply to its identify is
   * still held ({@link #confirm}), or it has closed: then {@code callback} is told 0 at once (the
   * batch stays queued, or went to another connection). A null {@code to} (see {@link #session}) is
   * never sent to.
   */
  public void send(Session to, FrameBatch batch, BatchCallback callback) {
    boolean sent = false;
    synchronized (sendLock) {
      if (to != null && to == session && !closed && pendingReplies == null) {
        AckWindow window = acks;
        socket.sendBatch(
            batch, window == null ? callback : window.sending(batch.count(), callback));
        sent = true;
      }
    }
    if (!sent) {
      callback.done(0);
    }
  }

  /** Sends a reply of the relay's own; lost silently once the client has gone. */
  public void reply(String json) {
    socket.sendText(json);
  }

  /**
   * Switches to {@code newKey} and holds its reply until {@link #confirm}, as one step with respect
   * to {@link #send}: until the reply is sent, nothing is sent. What an acknowledging connection
   * was sent before counts as far as it was acknowledged; counts start over with this reply.
   *
   * @param newAcks the acknowledgements from now on, or null for a plain connection
   */
  void identifiedAs(String newKey, Token newToken, AckWindow newAcks, String replyJson) {
    AckWindow old;
    synchronized (sendLock) {
      boolean sameKey = newKey.equals(key);
      if (!sameKey && pendingReplies != null) {
        // The previous key's, still held: answered in order; no alert of that key follows.
        sendHeld();
      }
      old = acks;
      session = new Session(this, newKey, System.nanoTime());
      this.key = newKey;
      this.acks = newAcks;
      useToken(newToken);
      if (!sameKey) {
        pendingReplies = List.of(replyJson);
        heldSince = System.nanoTime();
      } else if (pendingReplies == null) {
        socket.sendText(replyJson); // already among the key's connections, and confirmed
      } else {
        // The same key again while its reply is held: both wait for the same confirmation (and
        // the same fallback: the time they began to wait stays).
        List<String> replies = new ArrayList<>(pendingReplies);
        replies.add(replyJson);
        pendingReplies = List.copyOf(replies);
      }
    }
    if (old != null) {
      old.detach();
    }
  }

  /**
   * Sends the held replies to its identifies of {@code forKey}, if they are still held: from now on
   * the key's alerts are sent to it. The dispatcher calls this once the connection is among those
   * that every alert of the key read from then on goes to. (A step of the key the client identified
   * with before must not send the reply to its new identify.)
   */
  public void confirm(String forKey) {
    if (pendingReplies == null) {
      return; // the common case, on every step that takes a key: no lock
    }
    synchronized (sendLock) {
      if (pendingReplies != null && forKey.equals(key)) {
        sendHeld();
      }
    }
  }

  /**
   * Whether the caller must schedule a {@link #fallback} check: true unless one is scheduled
   * already. So a client that identifies again and again while its replies are held costs one
   * timer, not one per identify.
   */
  public boolean armFallback() {
    synchronized (sendLock) {
      if (fallbackArmed) {
        return false;
      }
      fallbackArmed = true;
      return true;
    }
  }

  /**
   * The dispatcher's fallback: sends the held replies if they have waited {@code waitNanos}, as
   * when the key's holder never answers.
   *
   * @return 0 when nothing is held any more (the check is disarmed); else how much longer the
   *     replies held now must wait, after which the caller checks again
   */
  public long fallback(long waitNanos) {
    synchronized (sendLock) {
      if (pendingReplies != null && !closed) {
        long left = waitNanos - (System.nanoTime() - heldSince);
        if (left > 0) {
          return left;
        }
        sendHeld();
      }
      fallbackArmed = false;
      return 0;
    }
  }

  /** Holds {@link #sendLock}. */
  private void sendHeld() {
    pendingReplies.forEach(socket::sendText);
    pendingReplies = null;
  }

  /** Whether it acknowledges alerts (SPEC 9): its batches are no larger than the ack window. */
  public boolean acknowledges() {
    return acks != null;
  }

  /**
   * The current session (see {@link Session}) if it is one of {@code forKey}; else null (not yet
   * identified, or identified with another key since the caller found it among {@code forKey}'s
   * connections).
   */
  public Session session(String forKey) {
    Session s = session;
    return s != null && s.key().equals(forKey) ? s : null;
  }

  /** Alerts sent on it and not yet acknowledged (SPEC 9); 0 for a plain connection. */
  public long awaitingAck() {
    AckWindow window = acks;
    return window == null ? 0 : window.outstanding();
  }

  /** Its acknowledgements, or null for a plain connection. */
  AckWindow acks() {
    return acks;
  }

  /** The token in use, or null. */
  public Token token() {
    return token;
  }

  /** Uses {@code newToken} from now on: no alert is written after its expiry. */
  void useToken(Token newToken) {
    this.token = newToken;
    socket.alertsUntil(newToken == null ? 0 : newToken.expiresAt().toEpochMilli());
  }

  void refuse(String errorJson, int code, String reason) {
    socket.refuse(errorJson, code, reason);
  }

  void close(int code, String reason) {
    socket.close(code, reason);
  }

  void markClosed() {
    AckWindow window;
    synchronized (sendLock) {
      closed = true;
      window = acks;
    }
    if (window != null) {
      window.detach();
    }
  }

  SocketConnection socket() {
    return socket;
  }

  @Override
  public String toString() {
    Token t = token;
    return t == null ? socket.toString() : socket + " " + t.describe();
  }
}
