package org.redisalerts.publish.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.redisalerts.testing.PseudoTerminal;
import org.redisalerts.testing.TestRedis;

class ProgressBarTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  @TempDir Path dir;

  @Test
  void drawsTheShareDoneOnOneLineAndClearsItAtTheEnd() {
    StringWriter err = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(err), 200_000);
    bar.update(50_000);
    assertThat(err.toString()).isEqualTo("\r[#######                       ]  25% 50,000/200,000");
    bar.update(200_000);
    assertThat(err.toString()).endsWith("\r[##############################] 100% 200,000/200,000");
    bar.finish();
    assertThat(err.toString()).endsWith("\r");
  }

  /** publish in its own JVM, reading {@code n} alerts from a file; {@code redirects} for sh. */
  private String publish(int n, String redirects) throws Exception {
    Path alerts = dir.resolve("alerts.ndjson");
    Files.writeString(alerts, "{\"event\":\"alert\"}\n".repeat(n), UTF_8);
    return PseudoTerminal.java(
            PublishMain.class, "--redis", redis.url(), "--key", "alert/bulk-1", "--stdin")
        + " <"
        + PseudoTerminal.quote(alerts.toString())
        + " "
        + redirects;
  }

  @Test
  void aLongBatchDrawsTheBarWhenStandardErrorIsATerminal() throws Exception {
    assumeTrue(PseudoTerminal.available(), "needs util-linux script for a pseudo-terminal");
    String terminal = PseudoTerminal.run(publish(10_000, ""));
    assertThat(terminal).contains("] 100% 10,000/10,000").contains("pushed 10000 alerts");
  }

  @Test
  void noBarWhenStandardErrorIsNotATerminalOrTheBatchIsShort() throws Exception {
    assumeTrue(PseudoTerminal.available(), "needs util-linux script for a pseudo-terminal");
    Path err = dir.resolve("err");
    PseudoTerminal.run(publish(10_000, "2>" + PseudoTerminal.quote(err.toString())));
    assertThat(Files.readString(err)).contains("pushed 10000 alerts").doesNotContain("%");
    assertThat(PseudoTerminal.run(publish(9_999, "")))
        .contains("pushed 9999 alerts")
        .doesNotContain("%");
  }
}
