package org.redisalerts.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redisalerts.testing.PseudoTerminal;

/**
 * {@link Terminals} asked from a child JVM on a real pseudo-terminal, with one stream at a time
 * redirected away from it, and on plain pipes: each answer must follow the stream it is about.
 */
class TerminalsTest {

  @TempDir Path dir;

  private String probe(boolean onTerminal, String redirects) throws Exception {
    Path answer = dir.resolve("answer");
    String command = PseudoTerminal.java(TerminalProbe.class, answer.toString()) + " " + redirects;
    if (onTerminal) {
      assumeTrue(PseudoTerminal.available(), "needs util-linux script for a pseudo-terminal");
      PseudoTerminal.run(command);
    } else {
      PseudoTerminal.runWithoutTerminal(command);
    }
    return Files.readString(answer);
  }

  @Test
  void aTerminalOnEveryStreamIsInteractiveWithATerminalForProgress() throws Exception {
    assertThat(probe(true, "")).isEqualTo("stderr=true interactive=true");
  }

  @Test
  void standardErrorRedirectedHasNoProgressButStaysInteractive() throws Exception {
    assertThat(probe(true, "2>/dev/null")).isEqualTo("stderr=false interactive=true");
  }

  @Test
  void standardOutputOrInputRedirectedIsNotInteractive() throws Exception {
    assertThat(probe(true, ">/dev/null")).isEqualTo("stderr=true interactive=false");
    assertThat(probe(true, "</dev/null")).isEqualTo("stderr=true interactive=false");
  }

  @Test
  void pipesAreNoTerminal() throws Exception {
    assertThat(probe(false, "")).isEqualTo("stderr=false interactive=false");
  }
}
