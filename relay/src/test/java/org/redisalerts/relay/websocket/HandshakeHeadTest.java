package org.redisalerts.relay.websocket;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The two pieces of the upgrade the relay does itself rather than through the library. */
class HandshakeHeadTest {

  private static String origin(String head) {
    byte[] bytes = head.getBytes(US_ASCII);
    return SocketServer.originOf(bytes, head.indexOf("\r\n\r\n"));
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
  void twoOriginHeadersAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> origin("GET / HTTP/1.1\r\nOrigin: https://a\r\nOrigin: https://b\r\n\r\n"));
  }
}
