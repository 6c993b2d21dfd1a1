package org.redisalerts.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.testing.TestCertificates;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/**
 * The example page in headless Chromium over {@code wss://}, with a certificate the test makes and
 * Chromium told to trust (by its public key, for this browser profile only).
 */
class BrowserTlsIT {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  @TempDir Path dir;

  private RelayServer relay;
  private ExamplePage page;

  @BeforeEach
  void start() throws Exception {
    HeadlessChromium.assumeInstalled("BrowserTlsIT");
    TestCertificates.Issued certificate = TestCertificates.issue(dir, "relay", "EC");
    relay =
        new RelayServer(
                RelayConfig.builder(redis.endpoint())
                    .bind("127.0.0.1")
                    .port(0)
                    .tls(certificate.chain(), certificate.key())
                    .build())
            .start();
    String spki =
        Base64.getEncoder()
            .encodeToString(
                MessageDigest.getInstance("SHA-256")
                    .digest(certificate.certificate().getPublicKey().getEncoded()));
    page =
        new ExamplePage(
            "--user-data-dir=" + dir.resolve("profile"),
            "--ignore-certificate-errors-spki-list=" + spki);
  }

  @AfterEach
  void stop() {
    if (page != null) {
      page.close();
    }
    if (relay != null) {
      relay.close();
    }
  }

  @Test
  void pageReceivesTheBacklogAndLiveAlertsOverWss() {
    String key = "alert/web-tls";
    TestPublisher publisher = new TestPublisher(redis);
    publisher.push(key, "{\"event\":\"alert\",\"message\":\"queued before \u2713\"}");

    page.open("relay=wss://localhost:" + relay.port() + "/app&key=" + key);
    page.awaitState("connected");
    publisher.push(key, "{\"event\":\"alert\",\"message\":\"live over TLS\",\"n\":2}");
    List<WebElement> shown = page.awaitAlerts(2);
    assertThat(shown)
        .extracting(li -> li.findElement(By.className("message")).getText())
        .containsExactly("queued before \u2713", "live over TLS");
    System.out.println("BrowserTlsIT: Chromium received 2 alerts over wss:// in order");
  }
}
