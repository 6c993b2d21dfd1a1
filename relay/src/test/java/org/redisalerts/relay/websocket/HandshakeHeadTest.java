package org.redisalerts.relay.websocket;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The pieces of the upgrade the relay does itself rather than through the library. */
class HandshakeHeadTest {

  private static UpgradeHead parse(String head) {
    return UpgradeHead.parse(head.getBytes(US_ASCII), head.indexOf("\r\n\r\n"));
  }

  private static String origin(String head) {
    return parse(head).origin();
  }

  @Test
  void acceptValueMatchesTheExampleInRfc6455() {
    assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", LimitedDraft.accept("dGhlIHNhbXBsZSBub25jZQ=="));
  }

  @Test
  void originIsFoundInAnyCaseAndTrimmed() {
    assertEquals(
        "https://app.example",
        origin("GET / HTTP/1.1\r\nHost: x\r\noRiGiN:   https://app.example  \r\n\r\n"));
  }

  @Test
  void originAsTheLastHeaderIsFound() {
    assertEquals("https://a", origin("GET / HTTP/1.1\r\nHost: x\r\nOrigin: https://a\r\n\r\n"));
  }

  @Test
  void missingOrEmptyOriginIsNull() {
    assertNull(origin("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assertNull(origin("GET / HTTP/1.1\r\nOrigin:\r\nHost: x\r\n\r\n"));
  }

  @Test
  void headersThatOnlyStartLikeOriginAreNotOrigin() {
    assertNull(origin("GET / HTTP/1.1\r\nOrigin-Trial: x\r\nX-Origin: https://a\r\n\r\n"));
  }

  @Test
  void anUpgradeToWebSocketVersion13IsRecognisedInAnyCase() {
    UpgradeHead head =
        parse(
            "GET / HTTP/1.1\r\nupgrade: h2c, WebSocket\r\nsec-websocket-version: 13\r\n"
                + "Host: x\r\n\r\n");
    assertTrue(head.asksForWebSocket());
    assertTrue(head.speaksVersion13());
  }

  @Test
  void aPlainRequestOrAnotherVersionIsNotOne() {
    assertFalse(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n").asksForWebSocket());
    assertFalse(parse("GET / HTTP/1.1\r\nUpgrade: websocketx\r\n\r\n").asksForWebSocket());
    UpgradeHead eight =
        parse("GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\n\r\n");
    assertTrue(eight.asksForWebSocket());
    assertFalse(eight.speaksVersion13());
  }

  @Test
  void twoUpgradeOrVersionHeadersAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> parse("GET / HTTP/1.1\r\nUpgrade: websocket\r\nUpgrade: websocket\r\n\r\n"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            parse(
                "GET / HTTP/1.1\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Version: 8\r\n\r\n"));
  }

  @Test
  void twoOriginHeadersAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> origin("GET / HTTP/1.1\r\nOrigin: https://a\r\nOrigin: https://b\r\n\r\n"));
  }
}
