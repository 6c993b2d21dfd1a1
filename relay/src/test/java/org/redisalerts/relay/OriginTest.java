package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.redisalerts.relay.RelayTesting.metric;
import static org.redisalerts.relay.RelayTesting.startRelay;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.testing.LogCapture;
import org.redisalerts.testing.RawClient;
import org.redisalerts.testing.TestRedis;

/**
 * Which pages may open a connection (SPEC 8: cross-site WebSocket hijacking), and where the admin
 * port listens.
 */
class OriginTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();
  @RegisterExtension final LogCapture log = new LogCapture();

  private RelayServer relay;

  @AfterEach
  void stop() {
    if (relay != null) {
      relay.close();
    }
  }

  private void start(UnaryOperator<RelayConfig.Builder> settings) throws Exception {
    relay = startRelay(redis, settings);
  }

  /** The status line the relay answers an upgrade from {@code origin} (null: no header) with. */
  private String upgradeFrom(String origin) throws IOException {
    try (RawClient client = RawClient.connectTcp(relay.port())) {
      return client.upgrade(relay.port(), origin);
    }
  }

  @Test
  void aListedOriginIsUpgradedInAnySpellingOfItsSchemeHostAndDefaultPort() throws Exception {
    start(b -> b.allowedOrigins(List.of("https://app.example", "http://localhost:8080")));
    assertThat(upgradeFrom("https://app.example")).startsWith("HTTP/1.1 101");
    assertThat(upgradeFrom("HTTPS://App.Example:443")).startsWith("HTTP/1.1 101");
    assertThat(upgradeFrom("http://localhost:8080")).startsWith("HTTP/1.1 101");
  }

  @Test
  void anOriginNotListedGets403BeforeAnyUpgrade() throws Exception {
    start(b -> b.allowedOrigins(List.of("https://app.example")));
    assertThat(upgradeFrom("https://evil.example")).startsWith("HTTP/1.1 403");
    assertThat(upgradeFrom("https://app.example:8443")).startsWith("HTTP/1.1 403");
    assertThat(upgradeFrom("http://app.example")).startsWith("HTTP/1.1 403");
    assertThat(upgradeFrom("https://app.example.evil.example")).startsWith("HTTP/1.1 403");
    assertThat(upgradeFrom("null")).startsWith("HTTP/1.1 403");
    assertThat(metric(relay, "relay_refusals_total", "reason", "origin")).isEqualTo(5);
  }

  @Test
  void clientsWithoutAnOriginAreAcceptedUnlessOneIsRequired() throws Exception {
    start(b -> b.allowedOrigins(List.of("https://app.example")));
    assertThat(upgradeFrom(null)).startsWith("HTTP/1.1 101");
    relay.close();
    start(b -> b.allowedOrigins(List.of("https://app.example")).requireOrigin(true));
    assertThat(upgradeFrom(null)).startsWith("HTTP/1.1 403");
    assertThat(upgradeFrom("https://app.example")).startsWith("HTTP/1.1 101");
  }

  @Test
  void aStarAllowsAnyOrigin() throws Exception {
    start(b -> b.allowedOrigins(List.of("*")));
    assertThat(upgradeFrom("https://anywhere.example")).startsWith("HTTP/1.1 101");
    assertThat(upgradeFrom(null)).startsWith("HTTP/1.1 101");
  }

  @Test
  void twoOriginHeadersAreRefused() throws Exception {
    start(b -> b.allowedOrigins(List.of("https://app.example")));
    try (RawClient client = RawClient.connectTcp(relay.port())) {
      client.sendRaw(
          ("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  + "Origin: https://app.example\r\nOrigin: https://evil.example\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      assertThat(client.readResponseHead()).startsWith("HTTP/1.1 400");
    }
  }

  @Test
  void aFloodOfRefusalsFromOneOriginIsLoggedOnce() throws Exception {
    start(b -> b.allowedOrigins(List.of("https://app.example")));
    for (int i = 0; i < 50; i++) {
      assertThat(upgradeFrom("https://evil.example")).startsWith("HTTP/1.1 403");
    }
    assertThat(upgradeFrom("https://other.example")).startsWith("HTTP/1.1 403");
    assertThat(metric(relay, "relay_refusals_total", "reason", "origin")).isEqualTo(51);
    assertThat(log.count("origin \"https://evil.example\" is not allowed")).isEqualTo(1);
    assertThat(log.count("origin \"https://other.example\" is not allowed")).isEqualTo(1);
  }

  @Test
  void theAdminPortListensOnLoopbackByDefaultNotOnTheWebSocketAddress() throws Exception {
    assertThat(RelayConfig.builder(RedisEndpoint.parse(redis.url())).build().adminBind())
        .isEqualTo("127.0.0.1");
    // The WebSockets on another loopback address (127.0.0.2), the admin port left at its default.
    relay =
        new RelayServer(
                RelayConfig.builder(redis.endpoint())
                    .bind("127.0.0.2")
                    .port(0)
                    .adminPort(0)
                    .build())
            .start();
    HttpURLConnection health =
        (HttpURLConnection)
            URI.create("http://127.0.0.1:" + relay.adminPort() + "/healthz")
                .toURL()
                .openConnection();
    assertThat(health.getResponseCode()).isEqualTo(200);
    health.disconnect();
    assertThat(reachable("127.0.0.2", relay.adminPort()))
        .as("admin on the WebSocket address")
        .isFalse();
    assertThat(reachable("127.0.0.2", relay.port())).as("WebSockets on their address").isTrue();
  }

  private static boolean reachable(String address, int port) {
    try (Socket socket = new Socket(InetAddress.getByName(address), port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
