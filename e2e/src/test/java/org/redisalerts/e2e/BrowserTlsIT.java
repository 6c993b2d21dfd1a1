package org.redisalerts.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
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

  private static final File CHROMIUM = new File("/usr/bin/chromium");
  private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
  private static final Path PAGE =
      Path.of("..", "examples", "browser", "index.html").toAbsolutePath().normalize();

  @TempDir Path dir;

  private RelayServer relay;
  private ChromeDriver browser;

  @BeforeEach
  void start() throws Exception {
    boolean installed = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
    if (!installed) {
      System.out.println(
          "BrowserTlsIT skipped: Debian's chromium and chromium-driver are not installed "
              + "(apt-get install chromium chromium-driver; .ci/run does)");
    }
    Assumptions.assumeTrue(installed, "chromium and chromedriver are not installed");
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
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=900,560",
        "--lang=en-US",
        "--user-data-dir=" + dir.resolve("profile"),
        "--ignore-certificate-errors-spki-list=" + spki);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).build();
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
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

    browser.get(PAGE.toUri() + "?relay=wss://localhost:" + relay.port() + "/app&key=" + key);
    new WebDriverWait(browser, Duration.ofSeconds(15))
        .until(d -> d.findElement(By.id("state")).getText().equals("connected"));
    publisher.push(key, "{\"event\":\"alert\",\"message\":\"live over TLS\",\"n\":2}");
    new WebDriverWait(browser, Duration.ofSeconds(15))
        .until(d -> d.findElements(By.cssSelector("#alerts li")).size() >= 2);
    List<WebElement> shown = browser.findElements(By.cssSelector("#alerts li"));
    assertThat(shown)
        .extracting(li -> li.findElement(By.className("message")).getText())
        .containsExactly("queued before \u2713", "live over TLS");
    System.out.println("BrowserTlsIT: Chromium received 2 alerts over wss:// in order");
  }
}
