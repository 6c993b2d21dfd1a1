package org.redisalerts.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExitCodeExceptionMapper;

/**
 * What the relay's command line still calls: {@link Commands#create} without the completion option.
 * Delete it once {@code relay.cli} uses {@link Commands}.
 */
public final class CommandLines {

  private CommandLines() {}

  /**
   * @param name unused: the command's own name prefixes messages
   */
  public static CommandLine create(
      String name, Object command, IExitCodeExceptionMapper exitCodes) {
    return Commands.configure(new CommandLine(command), exitCodes);
  }
}
