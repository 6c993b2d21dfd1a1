package org.redisalerts.e2e;

import java.io.File;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium, headless, under its chromedriver, for the tests that drive
 * examples/browser/index.html. Where either is missing the test is skipped and says why.
 */
final class HeadlessChromium {

  /** The example page, opened as a file:// URL. */
  static final Path PAGE =
      Path.of("..", "examples", "browser", "index.html").toAbsolutePath().normalize();

  private static final File CHROMIUM = new File("/usr/bin/chromium");
  private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

  private HeadlessChromium() {}

  /** Skips the calling test (an assumption) when Chromium or chromedriver is not installed. */
  static void assumeInstalled(String testClass) {
    boolean installed = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
    if (!installed) {
      System.out.println(
          testClass
              + " skipped: Debian's chromium and chromium-driver are not installed "
              + "(apt-get install chromium chromium-driver; .ci/run does)");
    }
    Assumptions.assumeTrue(installed, "chromium and chromedriver are not installed");
  }

  /** A new browser, with {@code extraArguments} added to the usual ones; the caller quits it. */
  static ChromeDriver start(String... extraArguments) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=900,560",
        "--lang=en-US");
    options.addArguments(extraArguments);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).build();
    return new ChromeDriver(service, options);
  }
}
