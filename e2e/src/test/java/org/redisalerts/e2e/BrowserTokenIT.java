package org.redisalerts.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.testing.TestPublisher.alert;

import com.nimbusds.jwt.JWTParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.relay.Tokens;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/**
 * examples/browser/index.html in headless Chromium against a relay that requires signed tokens
 * (SPEC 7): the page refreshes its token through a URL on a live connection, and shows an expiry
 * without reconnecting in a loop, while what it did not get stays queued.
 */
class BrowserTokenIT {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final String KEY = "alert/web-7";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;

  private Path secret;
  private RelayServer relay;
  private ExamplePage page;
  private HttpServer tokenServer;
  private final RelayEvents events = new RelayEvents();

  /** The tokens the refresh URL handed out, as their {@code exp}. */
  private final List<Instant> minted = new CopyOnWriteArrayList<>();

  /** How long the tokens the refresh URL mints last; set before it starts. */
  private volatile Duration refreshTtl;

  /** What went wrong in the refresh URL's handler, if anything. */
  private final List<Throwable> tokenServerFailures = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    HeadlessChromium.assumeInstalled("BrowserTokenIT");
    secret = writeSecret("secret");
    relay =
        new RelayServer(
                RelayConfig.builder(redis.endpoint())
                    .bind("127.0.0.1")
                    .port(0)
                    .tokenSecretFile(secret)
                    .build(),
                events)
            .start();
    page = new ExamplePage();
  }

  @AfterEach
  void stop() {
    if (page != null) {
      page.close();
    }
    if (tokenServer != null) {
      tokenServer.stop(0);
    }
    if (relay != null) {
      relay.close();
    }
  }

  private Path writeSecret(String name) throws IOException {
    byte[] random = new byte[48];
    new SecureRandom().nextBytes(random);
    return Files.writeString(dir.resolve(name), Base64.getEncoder().encodeToString(random));
  }

  private String mint(Duration ttl, String id) throws IOException {
    return Tokens.mint(secret, null, null, List.of(KEY), "web-user", id, ttl, null, null);
  }

  private static Instant expiryOf(String token) throws ParseException {
    return JWTParser.parse(token).getJWTClaimsSet().getExpirationTime().toInstant();
  }

  /**
   * A back-end's token endpoint on loopback: each GET mints a token for {@link #KEY} that lasts
   * {@code ttl} and answers it as plain text, readable from the file:// page (origin null).
   */
  private URI startTokenServer(Duration ttl) throws IOException {
    refreshTtl = ttl;
    tokenServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    tokenServer.createContext("/token", this::answerToken);
    tokenServer.start();
    return URI.create("http://127.0.0.1:" + tokenServer.getAddress().getPort() + "/token");
  }

  private void answerToken(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      byte[] body;
      try {
        String token = mint(refreshTtl, "refresh-" + (minted.size() + 1));
        minted.add(expiryOf(token));
        body = token.getBytes(UTF_8);
      } catch (IOException | ParseException | RuntimeException e) {
        tokenServerFailures.add(e);
        exchange.sendResponseHeaders(500, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  private void open(String token, URI refresh) {
    page.open(
        "relay=ws://127.0.0.1:"
            + relay.port()
            + "/app&key="
            + KEY
            + (token == null ? "" : "&token=" + token)
            + (refresh == null ? "" : "&refresh=" + URLEncoder.encode(refresh.toString(), UTF_8)));
  }

  /** Waits until {@code message} is the newest alert shown. */
  private void waitForLast(String message) {
    new WebDriverWait(page.browser, WAIT)
        .withMessage(
            () ->
                "the page shows "
                    + page.messages()
                    + ", not ending with "
                    + message
                    + "; its state: "
                    + page.text("state"))
        .until(
            d -> {
              List<String> shown = page.messages();
              return !shown.isEmpty() && shown.get(shown.size() - 1).equals(message);
            });
  }

  private void screenshot(String name) throws IOException {
    File shot = page.browser.getScreenshotAs(OutputType.FILE);
    Files.copy(
        shot.toPath(), Path.of("target", name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void pageRefreshesItsTokenThroughTheUrlAndKeepsReceivingPastEachExpiry() throws Exception {
    // A few seconds each: the page asks for the next one with a second or more to spare.
    URI refreshUrl = startTokenServer(Duration.ofSeconds(6));
    String first = mint(Duration.ofSeconds(6), "first");
    Instant firstExpiry = expiryOf(first);
    TestPublisher publisher = new TestPublisher(redis);
    publisher.push(KEY, alert("queued 1", 1), alert("queued 2", 2));

    open(first, refreshUrl);
    page.awaitState("connected");
    waitForLast("queued 2");
    assertThat(page.text("token")).matches("token: 0:0[1-6] left");

    // The relay writes nothing on a token after its exp: an alert pushed later arrives only if
    // the page replaced the token on this connection.
    await("the first token's exp").atMost(WAIT).until(() -> Instant.now().isAfter(firstExpiry));
    publisher.push(KEY, alert("after the first exp", 3));
    waitForLast("after the first exp");

    // And again past the exp of the token the first refresh brought: it keeps refreshing.
    assertThat(minted).as("tokens minted by the refresh URL").isNotEmpty();
    Instant secondExpiry = minted.get(0);
    await("the first refreshed token's exp")
        .atMost(WAIT)
        .until(() -> Instant.now().isAfter(secondExpiry));
    publisher.push(KEY, alert("after the second exp", 4), alert("last", 5));
    waitForLast("last");

    assertThat(page.messages())
        .as("every alert once, in order")
        .containsExactly(
            "queued 1", "queued 2", "after the first exp", "after the second exp", "last");
    assertThat(minted).as("refresh URL calls").hasSizeGreaterThanOrEqualTo(2);
    assertThat(tokenServerFailures).isEmpty();
    assertThat(events.identified).as("identifies: the page never reconnected").hasValue(1);
    assertThat(events.refusals).isEmpty();
    assertThat(page.text("state")).isEqualTo("connected");
    assertThat(page.text("token")).matches("token: 0:0[0-6] left");
    screenshot("browser-token-refreshed");
    System.out.println(
        "BrowserTokenIT: "
            + minted.size()
            + " token refreshes through the URL on one connection;"
            + " alerts pushed after two expiries arrived, none twice");
  }

  @Test
  void pageGivenOnlyARefreshUrlGetsItsFirstTokenThere() throws Exception {
    URI refreshUrl = startTokenServer(Duration.ofMinutes(5));
    new TestPublisher(redis).push(KEY, alert("queued", 1));

    open(null, refreshUrl);
    page.awaitState("connected");
    waitForLast("queued");
    assertThat(minted).as("refresh URL calls").hasSize(1);
    assertThat(page.text("token")).matches("token: [45]:[0-5][0-9] left");
  }

  @Test
  void pageRefusedForItsTokenShowsTheReasonAndDoesNotReconnect() throws Exception {
    Path otherSecret = writeSecret("other-secret");
    open(
        Tokens.mint(
            otherSecret,
            null,
            null,
            List.of(KEY),
            "web-user",
            null,
            Duration.ofMinutes(5),
            null,
            null),
        null);
    page.awaitState("refused: token invalid: bad signature (4003)");
    assertThat(page.text("token")).isEqualTo("token refused");
    await("no reconnection after 4003")
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> assertThat(events.refusals).as("refusals").containsExactly("TOKEN_INVALID"));

    open(null, null);
    page.awaitState("refused: token required (4003)");
  }

  @Test
  void pageShowsTheExpiryDoesNotReconnectAndLaterAlertsStayQueued() throws Exception {
    String token = mint(Duration.ofSeconds(4), "short");
    Instant expiry = expiryOf(token);
    TestPublisher publisher = new TestPublisher(redis);
    publisher.push(KEY, alert("before the exp", 1));

    open(token, null);
    page.awaitState("connected");
    waitForLast("before the exp");
    assertThat(page.text("token")).matches("token: 0:0[1-4] left");

    page.awaitState("expired: token expired (4001)");
    assertThat(Instant.now()).as("closed at exp, not before").isAfterOrEqualTo(expiry);
    assertThat(page.text("token")).isEqualTo("token expired");
    screenshot("browser-token-expired");

    publisher.push(
        KEY, alert("after the exp 1", 2), alert("after the exp 2", 3), alert("after the exp 3", 4));
    // The relay takes the watch entries; with no connection for the key the alerts stay put.
    await("the relay takes the watch entries")
        .atMost(WAIT)
        .until(() -> redis.client().llen("watch") == 0);
    // The page would be refused again with the same token: it must not try, nor show anything.
    await("no reconnection and nothing shown after the expiry")
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              assertThat(events.refusals).as("refusals").containsExactly("TOKEN_EXPIRED");
              assertThat(events.identified).as("identifies").hasValue(1);
              assertThat(page.messages()).as("alerts shown").containsExactly("before the exp");
            });
    assertThat(redis.client().llen(KEY)).as("alerts queued for " + KEY).isEqualTo(3);
    assertThat(page.text("state")).isEqualTo("expired: token expired (4001)");

    // They were held, not lost: a page with a new token gets them, in order.
    open(mint(Duration.ofMinutes(5), "new"), null);
    page.awaitState("connected");
    waitForLast("after the exp 3");
    assertThat(page.messages())
        .containsExactly("after the exp 1", "after the exp 2", "after the exp 3");
    await("the delivered alerts leave Redis")
        .atMost(WAIT)
        .until(() -> redis.client().llen(KEY) == 0);
    System.out.println(
        "BrowserTokenIT: the page showed 4001 at exp and stopped;"
            + " 3 alerts pushed after it stayed queued until a new token took them");
  }
}
