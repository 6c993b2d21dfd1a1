package org.redisalerts.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Run by {@link TerminalsTest} as a child process: writes what {@link Terminals} answers. */
public final class TerminalProbe {

  private TerminalProbe() {}

  public static void main(String[] args) throws IOException {
    Files.writeString(
        Path.of(args[0]),
        "stderr="
            + Terminals.standardErrorIsTerminal()
            + " interactive="
            + Terminals.interactive());
  }
}
