package org.redisalerts.cli;

import java.util.List;
import org.jline.terminal.TerminalBuilder;
import org.jline.terminal.spi.SystemStream;
import org.jline.terminal.spi.TerminalProvider;

/**
 * Whether this process's standard streams are terminals, asked the way JLine asks before it opens
 * the system terminal (its providers; on Java 17 without native code, a {@code test -t FD} child
 * that inherits the stream), so that a command that then opens a JLine terminal gets the stream it
 * was told about. {@code System.console()} cannot answer: it says nothing of standard error, and
 * from Java 22 it is not null when the streams are redirected. Each question may start a process:
 * ask once, not per line.
 */
public final class Terminals {

  private Terminals() {}

  /** For progress and status drawn on standard error. */
  public static boolean standardErrorIsTerminal() {
    return isTerminal(SystemStream.Error);
  }

  /**
   * Whether a person is at a terminal on both standard input and standard output: what an
   * interactive view (colours, a status line redrawn in place) needs from JLine.
   */
  public static boolean interactive() {
    return isTerminal(SystemStream.Output) && isTerminal(SystemStream.Input);
  }

  private static boolean isTerminal(SystemStream stream) {
    List<TerminalProvider> providers;
    try {
      providers =
          TerminalBuilder.builder()
              .getProviders(null, new IllegalStateException("no JLine terminal provider"));
    } catch (RuntimeException e) {
      return false; // no way to ask: draw nothing a pipe would not want
    }
    return providers.stream().anyMatch(provider -> provider.isSystemStream(stream));
  }
}
