package org.redisalerts.publish.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/** Entry point of {@code scripts/publish}; the only place that exits. */
public final class PublishMain {

  private PublishMain() {}

  public static void main(String[] args) {
    System.exit(commandLine(new PublishCommand()).execute(args));
  }

  /** The command line with its exit-code mapping: messages, not stack traces ({@code RWA_VERBOSE=true} adds them). */
  static CommandLine commandLine(PublishCommand command) {
    CommandLine cli = new CommandLine(command);
    cli.setExitCodeExceptionMapper(ExitCodes::of);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          err.println("publish: " + e.getMessage());
          if (Boolean.parseBoolean(System.getenv("RWA_VERBOSE"))) {
            e.printStackTrace(err);
          }
          err.flush();
          return ExitCodes.of(e);
        });
    return cli;
  }
}
