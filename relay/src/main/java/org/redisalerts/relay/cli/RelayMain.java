package org.redisalerts.relay.cli;

import org.redisalerts.cli.Commands;
import picocli.CommandLine;

/** Entry point of {@code scripts/relay}; the only place that exits. */
public final class RelayMain {

  private RelayMain() {}

  public static void main(String[] args) {
    System.exit(commandLine(new RelayCommand()).execute(args));
  }

  /** The command line with its exit statuses (messages, not stack traces). */
  public static CommandLine commandLine(RelayCommand command) {
    return Commands.create(command, ExitCodes.MAPPER);
  }
}
