package org.redisalerts.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConventionsTest {

  @Test
  void recipientKeyFollowsTheConvention() {
    assertThat(AlertKeys.recipient("acme", "42")).isEqualTo("alert/acme-42");
    assertThatThrownBy(() -> AlertKeys.recipient("", "42")).hasMessageContaining("pool");
    assertThatThrownBy(() -> AlertKeys.validate("alert/a\nb")).hasMessageContaining("control");
  }

  @Test
  void aKeyHasExactlyOneUtf8Form() {
    // A lone surrogate would reach Redis as "?": two keys, one list.
    assertThatThrownBy(() -> AlertKeys.validate("alert/\ud800")).hasMessageContaining("Unicode");
    assertThatThrownBy(() -> AlertKeys.validate("alert/\udc00x")).hasMessageContaining("Unicode");
    assertThatThrownBy(() -> AlertKeys.validate("alert/x\ud800")).hasMessageContaining("Unicode");
    assertThatThrownBy(() -> AlertKeys.validate("alert/\ufffd")).hasMessageContaining("Unicode");
    assertThat(AlertKeys.validate("alert/\ud83d\ude00-1")).isEqualTo("alert/\ud83d\ude00-1");
  }

  @Test
  void relayKeysLiveUnderTheWatchName() {
    RelayKeys keys = new RelayKeys("watch");
    assertThat(keys.deadLetters()).isEqualTo("watch:dead");
    assertThat(keys.claimList("alert/a-1")).isEqualTo("watch:claim:alert/a-1");
    assertThat(keys.isReserved("watch")).isTrue();
    assertThat(keys.isReserved("watch:anything")).isTrue();
    assertThat(keys.isReserved("watcher")).isFalse();
    assertThat(keys.isReserved("alert/a-1")).isFalse();
  }

  @Test
  void durationsReadTheShortAndTheIsoForms() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("PT1H")).isEqualTo(Duration.ofHours(1));
    assertThatThrownBy(() -> Durations.parse("10")).hasMessageContaining("not a duration: '10'");
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(Durations.format(Duration.ofMinutes(2))).isEqualTo("2m");
  }

  @Test
  void redisUrlsAreCheckedAndPrintedWithoutPasswords() {
    RedisEndpoint endpoint = RedisEndpoint.parse("redis://user:secret@127.0.0.1:6380/2");
    assertThat(endpoint.port()).isEqualTo(6380);
    assertThat(endpoint.toString()).doesNotContain("secret").contains("user:***@");
    assertThat(RedisEndpoint.parse("redis://localhost").port()).isEqualTo(6379);
    assertThatThrownBy(() -> RedisEndpoint.parse("http://localhost"))
        .hasMessageContaining("redis://");
    assertThatThrownBy(() -> RedisEndpoint.parse("redis://localhost:99999"))
        .hasMessageContaining("out of range");
    assertThatThrownBy(() -> RedisEndpoint.parse("redis://localhost/abc"))
        .hasMessageContaining("database");
    assertThatThrownBy(() -> RedisEndpoint.parse("redis://user:secret@127.0.0.1:notaport"))
        .hasMessageContaining("port that is not a number")
        .hasMessageNotContaining("secret");
  }

  @Test
  void alertCheckAcceptsOnlyForwardedEventObjects() {
    JsonCodec codec = new JsonCodec();
    Set<String> forwarded = Set.of("alert");
    assertThat(
            codec.checkAlert(
                bytes("{\"event\":\"alert\",\"x\":[1,{\"event\":\"no\"}]}"), forwarded))
        .isNull();
    assertThat(codec.checkAlert(bytes("{\"x\":1,\"event\":\"alert\"}"), forwarded)).isNull();
    assertThat(codec.checkAlert(bytes("{\"event\":\"other\"}"), forwarded))
        .contains("not forwarded");
    assertThat(codec.checkAlert(bytes("[1]"), forwarded)).isEqualTo("not a JSON object");
    assertThat(codec.checkAlert(bytes("{\"event\":\"alert\""), forwarded))
        .contains("not valid JSON")
        .contains("line: 1, column: 1")
        .doesNotContain("REDACTED");
    assertThat(codec.checkAlert(bytes("{\"event\":\"alert\"} x"), forwarded)).isNotNull();
    // A field given twice: the last one counts, as in a browser's JSON.parse.
    assertThat(codec.checkAlert(bytes("{\"event\":\"alert\",\"event\":\"alert\"}"), forwarded))
        .isNull();
    assertThat(codec.checkAlert(bytes("{\"event\":\"alert\",\"event\":\"other\"}"), forwarded))
        .contains("'other' is not forwarded");
    assertThat(codec.checkAlert(bytes("{\"event\":\"alert\",\"event\":1}"), forwarded))
        .contains("not a string");
    // What a browser's JSON.parse of the text frame would not read, though Jackson would.
    String alert = "{\"event\":\"alert\"}";
    for (java.nio.charset.Charset other :
        List.of(
            java.nio.charset.StandardCharsets.UTF_16LE,
            java.nio.charset.StandardCharsets.UTF_16BE,
            java.nio.charset.Charset.forName("UTF-32LE"),
            java.nio.charset.Charset.forName("UTF-32BE"))) {
      assertThat(codec.checkAlert(alert.getBytes(other), forwarded)).as(other.name()).isNotNull();
    }
    assertThat(codec.checkAlert(bytes("\ufeff" + alert), forwarded)).contains("byte order mark");
    assertThat(codec.checkAlert(bytes(" \n" + alert), forwarded)).isNull();
  }

  @Test
  void aControlMessageIsOneJsonObjectAndNothingAfterIt() throws Exception {
    JsonCodec codec = new JsonCodec();
    assertThat(codec.parseClientMessage("{\"event\":\"identify\",\"queue\":\"alert/a\"} ").queue())
        .isEqualTo("alert/a");
    for (String bad :
        List.of(
            "{\"event\":\"identify\",\"queue\":\"alert/a\"} xyz",
            "{\"event\":\"identify\",\"queue\":\"alert/a\"}{\"event\":\"identify\"}",
            "{\"event\":\"identify\",\"queue\":\"alert/a\",\"queue\":\"alert/b\"}")) {
      assertThatThrownBy(() -> codec.parseClientMessage(bad))
          .as(bad)
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("not valid JSON");
    }
  }

  @Test
  void repliesCarryTheOriginalsMessage() {
    assertThat(new JsonCodec().write(ServerReply.connected("alert/a-1")))
        .isEqualTo(
            "{\"event\":\"identified\",\"message\":\"you are now connected\",\"queue\":\"alert/a-1\"}");
  }

  @Test
  void clientMessagesCarryTheirFieldsAndNothingElse() {
    JsonCodec codec = new JsonCodec();
    assertThat(codec.write(ClientMessage.identify("alert/a-1")))
        .isEqualTo("{\"event\":\"identify\",\"queue\":\"alert/a-1\"}");
    assertThat(codec.write(ClientMessage.identify("alert/a-1", null, true)))
        .isEqualTo("{\"event\":\"identify\",\"queue\":\"alert/a-1\",\"ack\":true}");
    assertThat(codec.write(ClientMessage.ack(3))).isEqualTo("{\"event\":\"ack\",\"count\":3}");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
