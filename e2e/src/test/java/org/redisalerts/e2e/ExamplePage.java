package org.redisalerts.e2e;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The example page (examples/browser/index.html) in a headless Chromium, as the browser tests read
 * it: its state line, the alerts it shows, and waits on them with a deadline.
 */
final class ExamplePage implements AutoCloseable {

  private static final Duration WAIT = Duration.ofSeconds(20);

  final ChromeDriver browser;

  /** Starts a browser; {@code chromiumArguments} are added to the usual ones. */
  ExamplePage(String... chromiumArguments) {
    this.browser = HeadlessChromium.start(chromiumArguments);
  }

  /** Opens the page with {@code query} (without the leading '?'). */
  void open(String query) {
    browser.get(HeadlessChromium.PAGE.toUri() + "?" + query);
  }

  /** The text of the element with this id. */
  String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  /** The messages of the alerts shown, oldest first. */
  List<String> messages() {
    return browser.findElements(By.cssSelector("#alerts li .message")).stream()
        .map(WebElement::getText)
        .toList();
  }

  /** Waits until at least {@code n} alerts are shown; returns every one shown. */
  List<WebElement> awaitAlerts(int n) {
    new WebDriverWait(browser, WAIT)
        .withMessage(() -> "the page shows " + messages() + ", fewer than " + n)
        .until(d -> d.findElements(By.cssSelector("#alerts li")).size() >= n);
    return browser.findElements(By.cssSelector("#alerts li"));
  }

  /** Waits until the page's state line reads {@code state}. */
  void awaitState(String state) {
    new WebDriverWait(browser, WAIT)
        .withMessage(() -> "page state is \"" + text("state") + "\", not \"" + state + "\"")
        .until(d -> text("state").equals(state));
  }

  /** Waits until the element {@code id} reads {@code expected}; {@code context} explains a miss. */
  void awaitText(String id, String expected, Supplier<String> context) {
    new WebDriverWait(browser, WAIT)
        .withMessage(
            () ->
                "the page says \""
                    + text(id)
                    + "\", not \""
                    + expected
                    + "\"; its state: "
                    + text("state")
                    + "; "
                    + context.get())
        .until(d -> text(id).equals(expected));
  }

  @Override
  public void close() {
    browser.quit();
  }
}
