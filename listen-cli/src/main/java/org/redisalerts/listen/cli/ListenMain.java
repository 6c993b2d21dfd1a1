package org.redisalerts.listen.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import org.redisalerts.cli.Commands;
import picocli.CommandLine;

/** Entry point of {@code scripts/listen}; the only place that exits. */
public final class ListenMain {

  private ListenMain() {}

  public static void main(String[] args) {
    CommandLine cli = commandLine(new ListenCommand());
    // Frames are UTF-8 and must come out byte for byte, whatever the locale says.
    cli.setOut(
        new PrintWriter(
            new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), UTF_8), true));
    cli.setErr(
        new PrintWriter(
            new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), UTF_8), true));
    System.exit(cli.execute(args));
  }

  /** The command line with its exit-code mapping (messages, not stack traces). */
  static CommandLine commandLine(ListenCommand command) {
    return Commands.create(command, ExitCodes.MAPPER);
  }
}
