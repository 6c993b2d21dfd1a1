package org.redisalerts.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The after-test check must catch a frame that comes late, as a duplicate sent after the last
 * expected alert would: against a server that answers {@code "late N"} with a frame N ms later.
 */
class RecordingClientTest {

  /** Sends a frame {@code N} ms after it is asked with {@code "late N"}. */
  private static final class LateServer extends WebSocketServer {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final CompletableFuture<Integer> started = new CompletableFuture<>();

    LateServer() {
      super(new InetSocketAddress("127.0.0.1", 0));
    }

    @Override
    public void onStart() {
      started.complete(getPort());
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
      long delay = Long.parseLong(message.substring("late ".length()));
      timer.schedule(() -> conn.send("late by " + delay + " ms"), delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {}

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {}

    @Override
    public void onError(WebSocket conn, Exception ex) {
      started.completeExceptionally(ex);
    }

    void shutdown() throws InterruptedException {
      timer.shutdownNow();
      stop(5_000);
    }
  }

  private final LateServer server = new LateServer();
  private final List<RecordingClient> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server.start();
    server.started.get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    clients.forEach(RecordingClient::closeAndWait);
    server.shutdown();
  }

  private RecordingClient client() {
    RecordingClient client =
        RecordingClient.connect(URI.create("ws://127.0.0.1:" + server.getPort() + "/"));
    clients.add(client);
    return client;
  }

  @Test
  void aFrameThatComesWithinTheQuietPeriodFailsTheCheck() {
    RecordingClient client = client();
    client.send("late 300");
    assertThatThrownBy(() -> client.assertNoMoreEvents(Duration.ofSeconds(5)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("late by 300 ms");
  }

  @Test
  void theDefaultQuietPeriodCatchesAFrameAFewMillisecondsLate() {
    RecordingClient client = client();
    client.send("late 20");
    assertThatThrownBy(client::assertNoMoreEvents).hasMessageContaining("late by 20 ms");
  }

  @Test
  void aQuietConnectionPassesAfterListeningTheWholePeriod() {
    RecordingClient client = client();
    long started = System.nanoTime();
    client.assertNoMoreEvents(Duration.ofMillis(150));
    assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(150_000_000L);
  }

  @Test
  void aLateFrameOnAnyOfSeveralClientsFailsTheCheck() {
    RecordingClient quiet = client();
    RecordingClient late = client();
    late.send("late 100");
    assertThatThrownBy(
            () -> RecordingClient.assertNoMoreEvents(Duration.ofSeconds(5), List.of(quiet, late)))
        .hasMessageContaining("late by 100 ms");
  }

  @Test
  void severalClientsAreListenedToForOnePeriodNotOneEach() {
    List<RecordingClient> quiet = List.of(client(), client(), client());
    long started = System.nanoTime();
    RecordingClient.assertNoMoreEvents(Duration.ofMillis(300), quiet);
    assertThat(System.nanoTime() - started).isBetween(300_000_000L, 800_000_000L);
  }
}
