package org.redisalerts.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/**
 * examples/browser/index.html in real headless Chromium against a real relay: the page uses nothing
 * but the browser's WebSocket and the original's message shapes.
 */
class BrowserIT {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private RelayServer relay;
  private ExamplePage page;

  @BeforeEach
  void start() throws Exception {
    HeadlessChromium.assumeInstalled("BrowserIT");
    relay =
        new RelayServer(RelayConfig.builder(redis.endpoint()).bind("127.0.0.1").port(0).build())
            .start();
    page = new ExamplePage();
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
  void pageShowsTheBacklogThenLiveAlertsInOrderWithUnicodeAndLargeNumbersIntact() throws Exception {
    String key = "alert/web-1";
    TestPublisher publisher = new TestPublisher(redis);
    publisher.push(
        key,
        "{\"event\":\"alert\",\"message\":\"Disque presque plein \u00e9\u00e8 \u2014 \u6f22\u5b57 \ud83d\ude80\","
            + "\"host\":\"db1\",\"bytes\":12345678901234567890123}",
        "{\"event\":\"alert\",\"message\":\"Backup failed\",\"job\":\"nightly\",\"attempt\":2}");

    page.open("relay=ws://127.0.0.1:" + relay.port() + "/app&key=" + key);
    page.awaitState("connected");
    List<WebElement> backlog = page.awaitAlerts(2);
    assertThat(backlog.get(0).findElement(By.className("message")).getText())
        .isEqualTo("Disque presque plein \u00e9\u00e8 \u2014 \u6f22\u5b57 \ud83d\ude80");
    assertThat(backlog.get(0).findElement(By.className("fields")).getText())
        .contains("bytes=12345678901234567890123")
        .contains("host=db1");
    assertThat(backlog.get(1).findElement(By.className("message")).getText())
        .isEqualTo("Backup failed");

    publisher.push(key, "{\"event\":\"alert\",\"message\":\"Deploy done \u2713\",\"build\":1234}");
    publisher.push(key, "{\"event\":\"alert\",\"message\":\"Latency high\",\"p99_ms\":812.5}");
    List<WebElement> all = page.awaitAlerts(4);
    assertThat(all)
        .extracting(li -> li.findElement(By.className("message")).getText())
        .containsExactly(
            "Disque presque plein \u00e9\u00e8 \u2014 \u6f22\u5b57 \ud83d\ude80",
            "Backup failed",
            "Deploy done \u2713",
            "Latency high");
    assertThat(all.get(3).findElement(By.className("fields")).getText()).isEqualTo("p99_ms=812.5");
    assertThat(all.get(0).getAttribute("data-raw")).contains("12345678901234567890123");

    File shot = page.browser.getScreenshotAs(OutputType.FILE);
    Path target = Path.of("target", "browser-page.png");
    Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    System.out.println(
        "BrowserIT: 2 alerts queued before the page opened and 2 live, all shown in order;"
            + " screenshot in "
            + target.toAbsolutePath());
  }

  @Test
  void pageShowsARefusedKey() {
    page.open("relay=ws://127.0.0.1:" + relay.port() + "/app&key=not-allowed");
    new WebDriverWait(page.browser, Duration.ofSeconds(15))
        .until(d -> d.findElement(By.id("state")).getText().startsWith("refused"));
    assertThat(page.browser.findElement(By.id("state")).getText()).contains("not allowed");
  }
}
