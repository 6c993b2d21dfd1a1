package org.redisalerts.bench.cli;

import picocli.CommandLine;

/** Entry point of {@code scripts/bench}. */
public final class BenchMain {

  private BenchMain() {}

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new BenchCommand());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("bench: " + e.getMessage());
          return e instanceof IllegalArgumentException ? 2 : 1;
        });
    System.exit(cli.execute(args));
  }
}
