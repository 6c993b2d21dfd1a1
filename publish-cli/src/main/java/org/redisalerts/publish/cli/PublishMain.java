package org.redisalerts.publish.cli;

import org.redisalerts.cli.Commands;
import picocli.CommandLine;

/** Entry point of {@code scripts/publish}; the only place that exits. */
public final class PublishMain {

  private PublishMain() {}

  public static void main(String[] args) {
    System.exit(commandLine(new PublishCommand()).execute(args));
  }

  /** The command line with its exit-code mapping (messages, not stack traces). */
  static CommandLine commandLine(PublishCommand command) {
    return Commands.create(command, ExitCodes.MAPPER);
  }
}
