package org.redisalerts.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExitCodeExceptionMapper;

/**
 * The one way the suite's commands are set up: exit codes come from the command's own mapper; a
 * failure prints {@code NAME: message} on standard error, without a stack trace unless {@code
 * RWA_VERBOSE=true}.
 */
public final class CommandLines {

  private CommandLines() {}

  public static CommandLine create(
      String name, Object command, IExitCodeExceptionMapper exitCodes) {
    CommandLine cli = new CommandLine(command);
    cli.setExitCodeExceptionMapper(exitCodes);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          err.println(name + ": " + e.getMessage());
          if (Boolean.parseBoolean(System.getenv("RWA_VERBOSE"))) {
            e.printStackTrace(err);
          }
          err.flush();
          return exitCodes.getExitCode(e);
        });
    return cli;
  }
}
