package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.testing.LogCapture;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/** /healthz and /metrics over real HTTP, including while Redis is down. */
class AdminTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  @RegisterExtension final LogCapture log = new LogCapture();

  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static HttpResponse<String> get(RelayServer relay, String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.adminPort() + path))
            .timeout(Duration.ofSeconds(5))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static int status(RelayServer relay, String path) {
    try {
      return get(relay, path).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  @Test
  void aWatchListRedisRefusesToPopIsLoggedOnceAndUnhealthyUntilItIsAListAgain() throws Exception {
    // An outside probe saw "redis unreachable" and "redis reachable" alternate every 100 ms (SPEC
    // 3: each state change logged once) while the watch list held a string, or Redis was a
    // read-only replica: Redis answered PING, then refused the pop, and the backoff restarted.
    try (RelayServer relay = startRelay(redis, b -> b.adminPort(0))) {
      RecordingClient client = connect(relay).identifyAndAwaitReply("alert/refused-watch");
      long failedBefore = redis.commandStat("blpop", "failed_calls");
      redis.client().set("watch", "not a list");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> get(relay, "/healthz").body().contains("pop of the watch list: WRONGTYPE"));
      assertThat(status(relay, "/healthz")).isEqualTo(503);
      // Backing off: 100, 200, 400 ms between tries.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> redis.commandStat("blpop", "failed_calls") - failedBefore >= 4);

      redis.client().del("watch");
      new TestPublisher(redis).push("alert/refused-watch", alert("back", 1));
      assertThat(client.nextText()).isEqualTo(alert("back", 1));
      await().atMost(Duration.ofSeconds(5)).until(() -> status(relay, "/healthz") == 200);
      assertThat(log.count("redis refused the pop of watch list")).isEqualTo(1);
      assertThat(log.count("unreachable")).isZero();
      assertThat(log.count("redis reachable at")).isEqualTo(1);
      assertThat(log.count("lets the watcher pop")).isEqualTo(1);
    }
  }

  @Test
  void anOutageAfterARefusedPopIsReportedAsAnOutage() throws Exception {
    try (RelayServer relay = startRelay(redis, b -> b.adminPort(0))) {
      redis.client().set("watch", "not a list");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> get(relay, "/healthz").body().contains("pop of the watch list: WRONGTYPE"));
      redis.stop();
      try {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> get(relay, "/healthz").body().contains("redis unreachable"));
      } finally {
        redis.start(); // empty: the watch list is gone
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> status(relay, "/healthz") == 200);
    }
  }

  @Test
  void metricsCountWhatHappened() throws Exception {
    try (RelayServer relay = startRelay(redis, b -> b.adminPort(0))) {
      await().atMost(Duration.ofSeconds(5)).until(() -> status(relay, "/healthz") == 200);
      assertThat(get(relay, "/healthz").body()).contains("\"status\":\"ok\"");

      RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-1");
      new TestPublisher(redis).push("alert/pool-1", alert("m", 1), alert("m", 2), "not json");
      client.nextTexts(2);
      RecordingClient refused = connect(relay).identify("nope");
      assertThat(refused.nextText()).contains("not allowed");
      refused.nextClose();
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.deadLettered() == 1);

      String metrics = get(relay, "/metrics").body();
      assertThat(metrics)
          .contains("relay_alerts_delivered_total 2.0")
          .contains("relay_alerts_claimed_total 3.0")
          .contains("relay_alerts_dead_lettered_total 1.0")
          .contains("relay_connections_identified 1.0")
          .contains("relay_keys 1.0")
          .contains("relay_refusals_total{reason=\"not_allowed\"} 1.0")
          .contains("relay_claim_to_write_seconds_bucket")
          .contains("relay_claim_to_write_seconds_count 1");
      assertThat(get(relay, "/nothing").statusCode()).isEqualTo(404);
      client.closeAndWait();
    }
  }

  @Test
  void healthzIs503WhileRedisIsDownAnd200WhenItIsBack() throws Exception {
    try (RelayServer relay = startRelay(redis, b -> b.adminPort(0))) {
      await().atMost(Duration.ofSeconds(5)).until(() -> status(relay, "/healthz") == 200);
      RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-1");

      redis.stop();
      await().atMost(Duration.ofSeconds(10)).until(() -> status(relay, "/healthz") == 503);
      assertThat(get(relay, "/healthz").body())
          .contains("\"status\":\"unavailable\"")
          .contains("redis unreachable");
      assertThat(get(relay, "/metrics").statusCode()).as("metrics still answer").isEqualTo(200);

      redis.start();
      await().atMost(Duration.ofSeconds(15)).until(() -> status(relay, "/healthz") == 200);
      assertThat(get(relay, "/metrics").body()).contains("relay_redis_reconnects_total 1.0");
      new TestPublisher(redis).push("alert/pool-1", alert("after", 1));
      assertThat(client.nextText()).as("the client stayed connected").isEqualTo(alert("after", 1));
      client.closeAndWait();
    }
  }
}
