package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.testing.LogCapture;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/**
 * SPEC 3, bad entries: never sent, never fatal, moved with key and reason to the dead-letter list.
 */
class DeadLetterTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  @RegisterExtension final LogCapture log = new LogCapture();

  @Test
  void aDeadLetterListOfAnotherTypeHoldsBackItsKeyUntilItIsAListAgainAndLosesNothing()
      throws Exception {
    // A --dead-letters name that points at an existing key of another type stopped the whole
    // round's script halfway before; now only the key with the bad entry waits, and says why.
    TestPublisher publisher = new TestPublisher(redis);
    String key = "alert/dead-list-wrong";
    redis.client().set("watch:dead", "not a list");
    try (RelayServer relay = startRelay(redis)) {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> log.count("holds a string, not a list") == 1);
      RecordingClient client = connect(relay).identifyAndAwaitReply(key);
      publisher.push(key, "not json", alert("after", 1));
      assertThat(client.nextText()).isEqualTo(alert("after", 1));
      await().atMost(Duration.ofSeconds(5)).until(() -> log.count("could not step key=") >= 1);
      assertThat(redis.client().llen(key))
          .as("not trimmed while its dead letter waits")
          .isEqualTo(2);
      // Retried with a backoff of its own (an outside review counted 61 script runs in 6 s, one
      // each 100 ms: every round reset the shared backoff): about 5 in 4 s, and a few more of the
      // relay's own lease ticks.
      long before = redis.scriptCalls();
      await()
          .during(Duration.ofSeconds(4))
          .atMost(Duration.ofSeconds(5))
          .until(() -> redis.scriptCalls() - before < 15);

      redis.client().del("watch:dead");
      publisher.push(key, alert("after", 2));
      assertThat(client.nextText()).isEqualTo(alert("after", 2));
      await().atMost(Duration.ofSeconds(10)).until(() -> redis.client().llen(key) == 0);
      assertThat(redis.client().llen("watch:dead")).isEqualTo(1);
      client.assertNoMoreEvents();
      client.closeAndWait();
    }
    assertThat(log.count("could not step key=")).isEqualTo(1);
  }

  /**
   * An alert larger than a whole batch may be (--max-buffer-bytes, 1 MiB) is never read whole: one
   * of 150 MB once ran the relay out of heap, and again on every restart. It goes to the dead
   * letters with its size and its first bytes, wherever it is in the list.
   */
  @Test
  void anEntryLargerThanABatchIsDeadLetteredWithoutBeingRead() throws Exception {
    TestPublisher publisher = new TestPublisher(redis);
    String key = "alert/pool-huge";
    String huge = "{\"event\":\"alert\",\"pad\":\"" + "h".repeat(5 << 20) + "\"}";
    String good0 = alert("good", 0);
    String good1 = alert("good", 1);
    publisher.push(key, huge, good0, huge, good1);

    try (RelayServer relay = startRelay(redis)) {
      RecordingClient client = connect(relay).identifyAndAwaitReply(key);
      assertThat(client.nextTexts(2)).containsExactly(good0, good1);
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.deadLettered() == 2);
      client.assertNoMoreEvents();
      client.closeAndWait();
    }
    JsonCodec codec = new JsonCodec();
    for (String text : redis.client().lrange("watch:dead", 0, -1)) {
      JsonNode record = codec.readTree(text);
      assertThat(record.get("key").asText()).isEqualTo(key);
      assertThat(record.get("entry").asText()).isEqualTo(huge.substring(0, 256));
      assertThat(record.get("reason").asText())
          .contains("larger than a batch may be")
          .contains(huge.length() + " bytes");
    }
    assertThat(redis.client().llen("watch:dead")).isEqualTo(2);
    assertThat(redis.client().llen(key)).isZero();
  }

  /**
   * Oversized entries are seen by their marker, also in the check that the head did not move: two
   * of the same size and the same first bytes must still differ there, or a head moved by someone
   * else passes the check and the trim takes an alert nobody received.
   */
  @Test
  void oversizedEntriesAlikeStillTellAMovedHeadApart() throws Exception {
    TestPublisher publisher = new TestPublisher(redis);
    String key = "alert/pool-alike";
    String pad = "p".repeat(100_000); // over the 64 KiB limit below
    String o1 = "{\"event\":\"alert\",\"pad\":\"" + pad + "\",\"n\":1}";
    String o2 = "{\"event\":\"alert\",\"pad\":\"" + pad + "\",\"n\":2}";
    String o3 = "{\"event\":\"alert\",\"pad\":\"" + pad + "\",\"n\":3}";
    String a = alert("a", 0);
    String b = alert("b", 1);
    publisher.push(key, o1, a, o2, b, o3);

    try (RelayServer relay =
        startRelay(redis, c -> c.maxBufferBytes(64 * 1024).ackWindow(3).claimBatch(3))) {
      // The relay holds [o1, a, o2] until the client acknowledges a.
      RecordingClient client = connect(relay).identifyWithAcksAndAwaitReply(key);
      assertThat(client.nextText()).isEqualTo(a);
      redis.client().ltrim(key, 2, -1); // someone else takes o1 and a: the head is now o2
      client.ack(1);
      assertThat(client.nextText()).as("b, not trimmed unsent").isEqualTo(b);
      client.ack(2);
      client.closeAndWait();
    }
  }

  @Test
  void everyKindOfBadEntryIsDeadLetteredAndGoodOnesStillArriveInOrder() throws Exception {
    TestPublisher publisher = new TestPublisher(redis);
    String key = "alert/pool-1";
    List<String> bad =
        List.of(
            "not json at all",
            "[\"an\",\"array\"]",
            "\"a string\"",
            "42",
            "{\"message\":\"no event\"}",
            "{\"event\":\"identify\",\"queue\":\"alert/pool-1\"}",
            "{\"event\":7,\"message\":\"event is a number\"}",
            "{\"event\":\"alert\",\"message\":\"truncated\"",
            "{\"event\":\"alert\"} {\"event\":\"alert\"}",
            "\ufeff{\"event\":\"alert\",\"message\":\"a byte order mark: JSON.parse refuses it\"}",
            "");
    List<String> good = new ArrayList<>();
    int seq = 0;
    for (String entry : bad) {
      String ok = alert("good", seq++);
      good.add(ok);
      publisher.push(key, ok, entry);
    }
    publisher.pushBytes(
        key,
        new byte[] {
          '{', '"', 'e', 'v', 'e', 'n', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'
        });
    String last = alert("good", seq);
    good.add(last);
    publisher.push(key, last);

    try (RelayServer relay = startRelay(redis)) {
      RecordingClient client = connect(relay).identifyAndAwaitReply(key);
      assertThat(client.nextTexts(good.size())).containsExactlyElementsOf(good);
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.deadLettered() == bad.size() + 1);
      client.assertNoMoreEvents();
      client.closeAndWait();
    }

    List<String> records = redis.client().lrange("watch:dead", 0, -1);
    assertThat(records).hasSize(bad.size() + 1);
    JsonCodec codec = new JsonCodec();
    for (int i = 0; i < bad.size(); i++) {
      JsonNode record = codec.readTree(records.get(i));
      assertThat(record.get("key").asText()).isEqualTo(key);
      assertThat(record.get("entry").asText()).isEqualTo(bad.get(i));
      assertThat(record.get("reason").asText()).isNotBlank();
      assertThat(record.get("at").asText())
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
      assertThat(record.has("entryBase64")).isFalse();
    }
    JsonNode notUtf8 = codec.readTree(records.get(bad.size()));
    assertThat(notUtf8.get("reason").asText()).contains("UTF-8");
    // The entry's bytes exactly, since a JSON string cannot hold bytes that are not UTF-8.
    assertThat(java.util.Base64.getDecoder().decode(notUtf8.get("entryBase64").asText()))
        .containsExactly(
            '{', '"', 'e', 'v', 'e', 'n', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}');
    assertThat(redis.client().llen(key)).isZero();
  }

  @Test
  void eventsOtherThanAlertAreForwardedWhenConfigured() throws Exception {
    TestPublisher publisher = new TestPublisher(redis);
    String notice = "{\"event\":\"notice\",\"message\":\"maintenance tonight\"}";
    publisher.push("alert/pool-1", notice, alert("a", 1));
    try (RelayServer relay =
        startRelay(redis, b -> b.forwardEvents(java.util.Set.of("alert", "notice")))) {
      RecordingClient client = connect(relay).identifyAndAwaitReply("alert/pool-1");
      assertThat(client.nextTexts(2)).containsExactly(notice, alert("a", 1));
      client.closeAndWait();
      assertThat(relay.deadLettered()).isZero();
    }
    assertThat(redis.client().llen("watch:dead")).isZero();
  }

  @Test
  void aKeyThatIsNotAListTellsItsClientsOnceAndFlowsAgainWhenItIsAListAgain() throws Exception {
    redis.client().set("alert/pool-string", "not a list");
    TestPublisher publisher = new TestPublisher(redis);
    try (RelayServer relay = startRelay(redis)) {
      RecordingClient wrong = connect(relay).identifyAndAwaitReply("alert/pool-string");
      RecordingClient right = connect(relay).identifyAndAwaitReply("alert/pool-1");
      assertThat(wrong.nextText())
          .contains("\"event\":\"error\"")
          .contains("does not hold a list")
          .contains("alert/pool-string");
      redis.client().rpush("watch", "alert/pool-string", "alert/pool-string");
      publisher.push("alert/pool-1", alert("fine", 1));
      assertThat(right.nextText()).isEqualTo(alert("fine", 1));
      assertThat(redis.client().get("alert/pool-string")).isEqualTo("not a list");
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> RelayTesting.metric(relay, "relay_keys_wrong_type_total") >= 2);
      wrong.assertNoMoreEvents();

      redis.client().del("alert/pool-string");
      publisher.push("alert/pool-string", alert("a list again", 2));
      assertThat(wrong.nextText())
          .as("still connected, and served")
          .isEqualTo(alert("a list again", 2));
      wrong.closeAndWait();
      right.closeAndWait();
    }
  }
}
