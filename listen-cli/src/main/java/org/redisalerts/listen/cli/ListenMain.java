package org.redisalerts.listen.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import picocli.CommandLine;

/** Entry point of {@code scripts/listen}; the only place that exits. */
public final class ListenMain {

  private ListenMain() {}

  public static void main(String[] args) {
    CommandLine cli = commandLine(new ListenCommand());
    // Frames are UTF-8 and must come out byte for byte, whatever the locale says.
    cli.setOut(new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), UTF_8), true));
    cli.setErr(new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), UTF_8), true));
    System.exit(cli.execute(args));
  }

  /** The command line with its exit-code mapping: messages, not stack traces ({@code RWA_VERBOSE=true} adds them). */
  static CommandLine commandLine(ListenCommand command) {
    CommandLine cli = new CommandLine(command);
    cli.setExitCodeExceptionMapper(ExitCodes::of);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          err.println("listen: " + e.getMessage());
          if (Boolean.parseBoolean(System.getenv("RWA_VERBOSE"))) {
            e.printStackTrace(err);
          }
          err.flush();
          return ExitCodes.of(e);
        });
    return cli;
  }
}
