package org.redisalerts.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

/**
 * A WebSocket client for tests that records every event (text frame, binary frame, close, error)
 * into a queue; assertions take the next event with a deadline and fail with a message that shows
 * what came instead.
 */
public final class RecordingClient extends WebSocketClient {

  /** How long an assertion waits for the next event by default. */
  public static final Duration DEADLINE = Duration.ofSeconds(10);

  /**
   * How long {@link #assertNoMoreEvents()} listens for an event that should not come: a frame the
   * server had already queued or written reaches a loopback client in well under 10 ms; 200 ms is
   * short enough to check after every test.
   */
  public static final Duration QUIET = Duration.ofMillis(200);

  /** Something that happened on the socket. */
  public sealed interface Event permits Text, Binary, Closed, Failed {}

  public record Text(String text) implements Event {}

  public record Binary(int length) implements Event {}

  public record Closed(int code, String reason, boolean remote) implements Event {}

  public record Failed(Exception error) implements Event {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private volatile boolean opened;

  private RecordingClient(URI uri) {
    super(uri);
    setConnectionLostTimeout(0);
  }

  /**
   * Opens a connection and waits until the handshake is done. The server may already have closed it
   * again (a refusal on open): its frames and close are in the queue.
   */
  public static RecordingClient connect(URI uri) {
    return connect(uri, null);
  }

  /**
   * Opens a {@code wss://} connection trusting what {@code tls} trusts (null: a {@code ws://}
   * connection, or the JVM's default trust), and waits until the handshake is done.
   */
  public static RecordingClient connect(URI uri, SSLContext tls) {
    RecordingClient client = new RecordingClient(uri);
    if (tls != null) {
      client.setSocketFactory(tls.getSocketFactory());
    }
    try {
      client.connectBlocking(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      if (!client.opened) {
        fail("could not connect to " + uri + ": " + client.events.poll());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted while connecting to " + uri);
    }
    return client;
  }

  /** Sends {@code {"event":"identify","queue":key}}. */
  public RecordingClient identify(String key) {
    send(
        "{\"event\":\"identify\",\"queue\":\""
            + key.replace("\\", "\\\\").replace("\"", "\\\"")
            + "\"}");
    return this;
  }

  /**
   * Identifies with {@code "ack":true} (SPEC 9) and checks the relay's answer says so; the relay
   * then waits for {@link #ack} before it counts an alert as delivered on this connection.
   */
  public RecordingClient identifyWithAcksAndAwaitReply(String key) {
    send(
        "{\"event\":\"identify\",\"queue\":\""
            + key.replace("\\", "\\\\").replace("\"", "\\\"")
            + "\",\"ack\":true}");
    String reply = nextText();
    assertThat(reply).as("reply to identify as %s with acks", key).contains("\"ack\":true");
    return this;
  }

  /** Acknowledges {@code count} alerts in all since the reply to the last identify. */
  public RecordingClient ack(long count) {
    send("{\"event\":\"ack\",\"count\":" + count + "}");
    return this;
  }

  /** Identifies and checks the relay's answer. */
  public RecordingClient identifyAndAwaitReply(String key) {
    identify(key);
    String reply = nextText();
    assertThat(reply).as("reply to identify as %s", key).contains("\"you are now connected\"");
    return this;
  }

  /** The next event, or fails when none comes before the deadline. */
  public Event next(Duration deadline) {
    try {
      Event event = events.poll(deadline.toMillis(), TimeUnit.MILLISECONDS);
      if (event == null) {
        fail("no event within " + deadline.toMillis() + " ms");
      }
      return event;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Reads text frames until {@code text} (consumed too).
   *
   * @return false when it did not come within {@code deadline}
   */
  public boolean skipTo(String text, Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    try {
      while (true) {
        Event event = events.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (event == null) {
          return false;
        }
        if (!(event instanceof Text t)) {
          throw new AssertionError("expected a text frame but got " + event);
        }
        if (t.text().equals(text)) {
          return true;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The next event, which must be a text frame. */
  public String nextText() {
    Event event = next(DEADLINE);
    if (!(event instanceof Text text)) {
      throw new AssertionError("expected a text frame but got " + event);
    }
    return text.text();
  }

  /** The next {@code n} text frames, in order. */
  public List<String> nextTexts(int n) {
    List<String> texts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Event event = next(DEADLINE);
      if (!(event instanceof Text text)) {
        throw new AssertionError(
            "expected text frame "
                + (i + 1)
                + " of "
                + n
                + " but got "
                + event
                + " after "
                + texts.size());
      }
      texts.add(text.text());
    }
    return texts;
  }

  /** The next event, which must be the close of the connection. */
  public Closed nextClose() {
    Event event;
    do {
      event = next(DEADLINE);
    } while (event instanceof Failed);
    if (!(event instanceof Closed closed)) {
      throw new AssertionError("expected the connection to close but got " + event);
    }
    return closed;
  }

  /** Fails if any event is waiting or arrives within {@link #QUIET}: a late duplicate, say. */
  public void assertNoMoreEvents() {
    assertNoMoreEvents(QUIET);
  }

  /** Fails if any event is waiting or arrives within {@code quiet}. */
  public void assertNoMoreEvents(Duration quiet) {
    assertNoMoreEvents(quiet, List.of(this));
  }

  /**
   * Fails if any of {@code clients} has an event waiting or gets one within {@code quiet}; they are
   * listened to for the same period, not one period each.
   */
  public static void assertNoMoreEvents(Duration quiet, Collection<RecordingClient> clients) {
    long end = System.nanoTime() + quiet.toNanos();
    for (RecordingClient client : clients) {
      try {
        Event event = client.events.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (event != null) {
          throw new AssertionError("unexpected event within " + quiet.toMillis() + " ms: " + event);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /** Closes from this side and waits until it is closed. */
  public void closeAndWait() {
    try {
      closeBlocking();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void onOpen(ServerHandshake handshake) {
    opened = true;
  }

  @Override
  public void onMessage(String message) {
    events.add(new Text(message));
  }

  @Override
  public void onMessage(ByteBuffer bytes) {
    events.add(new Binary(bytes.remaining()));
  }

  @Override
  public void onClose(int code, String reason, boolean remote) {
    events.add(new Closed(code, reason, remote));
  }

  @Override
  public void onError(Exception ex) {
    events.add(new Failed(ex));
  }
}
