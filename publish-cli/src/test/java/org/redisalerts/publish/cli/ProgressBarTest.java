package org.redisalerts.publish.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

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

  @Test
  void standardErrorOfATestRunIsNotATerminal() {
    assertThat(ProgressBar.stderrIsTerminal()).isFalse();
  }
}
