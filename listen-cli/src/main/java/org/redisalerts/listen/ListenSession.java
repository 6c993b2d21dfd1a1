package org.redisalerts.listen;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.framing.CloseFrame;
import org.redisalerts.common.ClientMessage;
import org.redisalerts.common.Durations;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.ProtocolException;
import org.redisalerts.common.ServerReply;
import org.redisalerts.listen.Outcome.Kind;
import org.redisalerts.listen.RelayConnection.Closed;
import org.redisalerts.listen.RelayConnection.Event;
import org.redisalerts.listen.RelayConnection.Frame;
import org.redisalerts.listen.RelayConnection.Opened;
import org.redisalerts.listen.RelayConnection.Stop;

/**
 * Connects, identifies, shows alerts, and reconnects with capped exponential backoff when the
 * connection drops, until {@code --count} alerts arrived, the timeout passed, the relay refused the
 * key, or {@link #stop} was called. Runs on the caller's thread.
 *
 * <p>With {@code --ack} it acknowledges each alert once the view has shown it (SPEC 9), so the
 * relay keeps in Redis every alert that was not shown: with {@code --count N} exactly N leave. Acks
 * are cumulative, so one ack confirms every alert shown before it: at most one goes out per {@link
 * #ACK_INTERVAL}, and the rest of a fast backlog is confirmed by the next one.
 */
public final class ListenSession {

  private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  /**
   * Least time between two acks. The relay closes a client that sends more than 20 messages a
   * second (60 at once), and a window of 100 alerts acknowledged one by one would exceed that; 10
   * acks a second stay well within it and delay a confirmation by at most this.
   */
  private static final Duration ACK_INTERVAL = Duration.ofMillis(100);

  /** Close codes of SPEC 7. */
  private static final int TOKEN_EXPIRED = 4001;

  private static final int TOKEN_REFUSED = 4003;

  private final ListenOptions options;
  private final AlertView view;
  private final JsonCodec codec = new JsonCodec();
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final long deadline;
  private final SSLContext tls;
  private int alerts;

  /**
   * @throws IllegalArgumentException when {@code --ca} cannot be read or used
   */
  public ListenSession(ListenOptions options, AlertView view) {
    this.options = options;
    this.view = view;
    this.tls = "wss".equals(options.url().getScheme()) ? RelayTrust.context(options.ca()) : null;
    this.deadline =
        options.timeout() == null
            ? Long.MAX_VALUE
            : System.nanoTime() + options.timeout().toNanos();
  }

  /** Asks the session to close the socket cleanly (1000) and end; safe from any thread. */
  public void stop() {
    events.add(new Stop());
  }

  public Outcome run() throws InterruptedException {
    Duration backoff = FIRST_BACKOFF;
    while (true) {
      view.status("connecting to " + options.url());
      RelayConnection connection = new RelayConnection(options.url(), tls, events);
      connection.connect();
      Attempt attempt = new Attempt(connection);
      Outcome outcome = attempt.run();
      if (outcome != null) {
        return outcome;
      }
      if (attempt.identified) {
        backoff = FIRST_BACKOFF;
      }
      if (!options.reconnect()) {
        return new Outcome(Kind.DISCONNECTED, attempt.lostBecause, alerts);
      }
      view.status(attempt.lostBecause + "; reconnecting in " + Durations.format(backoff));
      Event event = events.poll(Math.min(backoff.toNanos(), remaining()), TimeUnit.NANOSECONDS);
      if (event instanceof Stop) {
        return new Outcome(Kind.STOPPED, "stopped while reconnecting", alerts);
      }
      if (remaining() <= 0) {
        return timedOut();
      }
      backoff =
          backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
              ? MAX_BACKOFF
              : backoff.multipliedBy(2);
    }
  }

  /** One connection, from connect to close. */
  private final class Attempt {
    private final RelayConnection connection;
    private boolean identified;

    /** Alerts shown since the identify reply: what the next ack confirms (SPEC 9). */
    private long shown;

    /** The count the last ack sent; at most {@link #shown}. */
    private long acknowledged;

    /** When the last ack went out (System.nanoTime), so the first one goes at once. */
    private long lastAckAt = System.nanoTime() - ACK_INTERVAL.toNanos();

    private String refusal;
    private boolean opened;
    private String lostBecause = "connection lost";

    Attempt(RelayConnection connection) {
      this.connection = connection;
    }

    /**
     * @return the session's outcome, or null when the connection dropped (reconnect or not)
     */
    Outcome run() throws InterruptedException {
      while (true) {
        long left = remaining();
        if (left <= 0) {
          close(CloseFrame.NORMAL, "timed out");
          return timedOut();
        }
        acknowledgeIfDue();
        Event event = events.poll(Math.min(left, untilAckDue()), TimeUnit.NANOSECONDS);
        if (event == null) {
          continue;
        }
        if (event instanceof Opened) {
          opened = true;
          connection.send(
              codec.write(ClientMessage.identify(options.key(), options.token(), options.ack())));
        } else if (event instanceof Frame frame) {
          Outcome done = frame(frame.text());
          if (done != null) {
            return done;
          }
        } else if (event instanceof Stop) {
          close(CloseFrame.NORMAL, "listener stopped");
          return new Outcome(Kind.STOPPED, "stopped", alerts);
        } else if (event instanceof Closed closed) {
          return closed(closed);
        }
      }
    }

    private Outcome frame(String text) throws InterruptedException {
      if (identified
          && text.startsWith("{\"event\":\"")
          && !text.startsWith("{\"event\":\"alert\"")) {
        ServerReply reply = reply(text);
        if (reply != null && ServerReply.ERROR.equals(reply.event())) {
          refusal = reply.message();
          view.status("relay: " + reply.message());
          return null; // a close may follow, saying what happens
        }
        if (reply != null && ServerReply.REFRESHED.equals(reply.event())) {
          return null;
        }
      }
      if (!identified) {
        ServerReply reply = reply(text);
        if (reply != null && ServerReply.CONNECTED.equals(reply.message())) {
          identified = true;
          view.identified(options.key(), text);
          if (options.ack() && !Boolean.TRUE.equals(reply.ack())) {
            // It would trim alerts once written: --ack could not keep what was not shown.
            close(CloseFrame.NORMAL, "acknowledgements not supported");
            return new Outcome(
                Kind.ACKS_UNSUPPORTED,
                "--ack: the relay does not support acknowledgements (its identify reply has no"
                    + " \"ack\":true; an older relay?)",
                alerts);
          }
          return null;
        }
        if (reply != null && ServerReply.ERROR.equals(reply.event())) {
          refusal = reply.message();
          return null;
        }
      }
      alerts++;
      boolean written = view.alert(text, Instant.now());
      if (options.ack()) {
        if (!written) {
          close(CloseFrame.NORMAL, "output failed");
          return new Outcome(
              Kind.OUTPUT_FAILED,
              "cannot write the output; alert "
                  + alerts
                  + " and those after it were not acknowledged and stay queued",
              alerts);
        }
        shown++;
      }
      if (options.count() > 0 && alerts >= options.count()) {
        close(CloseFrame.NORMAL, "done");
        return new Outcome(Kind.COUNT_REACHED, alerts + " alerts", alerts);
      }
      return null;
    }

    /** Nanoseconds until the shown alerts may be acknowledged; MAX_VALUE when none waits. */
    private long untilAckDue() {
      if (shown == acknowledged) {
        return Long.MAX_VALUE;
      }
      return Math.max(0, lastAckAt + ACK_INTERVAL.toNanos() - System.nanoTime());
    }

    private void acknowledgeIfDue() {
      if (untilAckDue() == 0) {
        acknowledge();
      }
    }

    /** Acknowledges every alert shown on this connection so far, if any is not yet. */
    private void acknowledge() {
      if (shown == acknowledged) {
        return;
      }
      try {
        connection.send(codec.write(ClientMessage.ack(shown)));
      } catch (WebsocketNotConnectedException e) {
        // Closing already; its event follows. The relay sends what this did not confirm again.
      }
      acknowledged = shown;
      lastAckAt = System.nanoTime();
    }

    private Outcome closed(Closed closed) {
      if (closed.tlsFailure() != null) {
        // The same certificate would be refused again: reconnecting cannot help.
        return new Outcome(Kind.TLS_FAILED, closed.tlsFailure(), alerts);
      }
      if (closed.code() == TOKEN_EXPIRED || closed.code() == TOKEN_REFUSED) {
        // Reconnecting with the same token would be refused the same way.
        String reason = closed.reason().isEmpty() && refusal != null ? refusal : closed.reason();
        return new Outcome(
            closed.code() == TOKEN_EXPIRED ? Kind.TOKEN_EXPIRED : Kind.TOKEN_REFUSED,
            "refused: " + reason,
            alerts);
      }
      if (closed.code() == CloseFrame.POLICY_VALIDATION && !identified) {
        String reason = refusal != null ? refusal : closed.reason();
        return new Outcome(Kind.REFUSED, "refused: " + reason, alerts);
      }
      if (closed.code() == CloseFrame.NEVER_CONNECTED
          || (closed.code() == CloseFrame.ABNORMAL_CLOSE && !identified)) {
        lostBecause =
            "cannot connect to "
                + options.url()
                + (closed.error() == null ? "" : " (" + closed.error() + ")");
      } else {
        lostBecause =
            "connection closed ("
                + closed.code()
                + (closed.reason().isEmpty() ? "" : " " + closed.reason())
                + ")";
      }
      return null;
    }

    /**
     * Confirms what was shown, closes with {@code code} and waits (a bounded time) for the relay's
     * answer to the close.
     */
    private void close(int code, String reason) throws InterruptedException {
      if (!opened && !connection.isOpen()) {
        // Still connecting (a TLS handshake may wait for its own deadline): no close event would
        // come in time, and there is nothing to close cleanly.
        connection.abort();
        return;
      }
      acknowledge();
      connection.close(code, reason);
      long end = System.nanoTime() + CLOSE_WAIT.toNanos();
      for (long left = CLOSE_WAIT.toNanos(); left > 0; left = end - System.nanoTime()) {
        if (events.poll(left, TimeUnit.NANOSECONDS) instanceof Closed) {
          return;
        }
      }
      connection.closeConnection(code, reason);
    }
  }

  private ServerReply reply(String text) {
    try {
      var node = codec.readTree(text);
      String event = node.path("event").asText(null);
      String message = node.path("message").asText(null);
      Boolean ack = node.path("ack").asBoolean(false) ? Boolean.TRUE : null;
      return new ServerReply(event, message, node.path("queue").asText(null), null, ack);
    } catch (ProtocolException e) {
      return null;
    }
  }

  private Outcome timedOut() {
    String expected = options.count() > 0 ? " of " + options.count() : "";
    return new Outcome(
        Kind.TIMED_OUT,
        "timed out after "
            + Durations.format(options.timeout())
            + " with "
            + alerts
            + expected
            + " alerts",
        alerts);
  }

  private long remaining() {
    return deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
  }
}
