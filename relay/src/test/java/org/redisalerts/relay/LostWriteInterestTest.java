package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.startRelay;

import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.java_websocket.WebSocketImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestRedis;

/**
 * Output that Java-WebSocket's selector left queued without write interest (the race in its
 * doWrite) still reaches the client, well before the next ping would have flushed it.
 */
class LostWriteInterestTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  @Test
  void framesQueuedWithoutWriteInterestAreWrittenSoon() throws Exception {
    try (RelayServer relay = startRelay(redis)) {
      RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-1");
      WebSocketImpl server = (WebSocketImpl) relay.sockets().getConnections().iterator().next();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> (server.getSelectionKey().interestOps() & SelectionKey.OP_WRITE) == 0);

      // What the race leaves behind: a frame in the queue and the interest set to read only.
      String alert = "{\"event\":\"alert\",\"message\":\"stranded\"}";
      server.outQueue.add(
          AlertFrames.encode(List.of(alert.getBytes(StandardCharsets.UTF_8)))
              .frames()
              .getPayloadData());

      // The ping interval (30 s) would flush it eventually; the relay must do so within ~200 ms.
      RecordingClient.Event event = client.next(Duration.ofSeconds(3));
      assertThat(event).isEqualTo(new RecordingClient.Text(alert));
      client.closeAndWait();
    }
  }
}
