package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.metric;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/**
 * Alerts of many keys that trickle, one at a time and interleaved: the script sent with the
 * watcher's pop reads each one with its watch entry. What it reads must reach exactly the
 * connections a step of the key's own would have sent it to, once and in order.
 */
class PopReadTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private final TestPublisher publisher = new TestPublisher(redis);
  private RelayServer relay;

  @AfterEach
  void stop() {
    if (relay != null) {
      relay.close();
    }
  }

  @Test
  void alertsOfManyKeysThatTrickleAreReadWithTheirWatchEntriesEachOnceAndInOrder()
      throws Exception {
    relay = startRelay(redis, b -> b);
    List<String> keys = IntStream.range(0, 30).mapToObj(i -> "alert/trickle-" + i).toList();
    List<RecordingClient> clients = new ArrayList<>();
    for (String key : keys) {
      clients.add(connect(relay).identifyAndAwaitReply(key));
    }
    // The first alert of each key takes its lease with a step of its own.
    for (String key : keys) {
      publisher.push(key, alert(key, 0));
    }
    for (int k = 0; k < keys.size(); k++) {
      assertThat(clients.get(k).nextText()).isEqualTo(alert(keys.get(k), 0));
    }
    double before = metric(relay, "relay_alerts_read_with_pop_total");

    for (int round = 1; round <= 5; round++) {
      for (int k = 0; k < keys.size(); k++) {
        publisher.push(keys.get(k), alert(keys.get(k), round));
        // One at a time: the next is pushed once this one arrived, so the pop waits each time.
        assertThat(clients.get(k).nextText()).isEqualTo(alert(keys.get(k), round));
      }
    }

    assertThat(metric(relay, "relay_alerts_read_with_pop_total") - before)
        .as("read with their watch entries")
        .isGreaterThanOrEqualTo(keys.size() * 5 / 2.0);
    for (String key : keys) {
      await().atMost(Duration.ofSeconds(5)).until(() -> redis.client().llen(key) == 0);
    }
    for (RecordingClient client : clients) {
      client.assertNoMoreEvents();
    }
  }

  @Test
  void aConnectionThatIdentifiesWhileThePopWaitsGetsTheKeysNextAlertOnce() throws Exception {
    relay = startRelay(redis, b -> b);
    String key = "alert/pop-join";
    RecordingClient first = connect(relay).identifyAndAwaitReply(key);
    for (int i = 0; i < 3; i++) {
      publisher.push(key, alert("first", i));
      assertThat(first.nextText()).isEqualTo(alert("first", i));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.client().llen(key) == 0);

    // The key is idle: the pop waiting now would read it. The identify steps it meanwhile.
    RecordingClient second = connect(relay).identifyAndAwaitReply(key);
    publisher.push(key, alert("next", 1));

    assertThat(first.nextText()).isEqualTo(alert("next", 1));
    assertThat(second.nextText()).as("pushed after its reply").isEqualTo(alert("next", 1));
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.client().llen(key) == 0);
    first.assertNoMoreEvents();
    second.assertNoMoreEvents();
  }
}
