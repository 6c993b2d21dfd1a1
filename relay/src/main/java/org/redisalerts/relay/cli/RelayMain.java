package org.redisalerts.relay.cli;

import org.redisalerts.cli.Commands;
import picocli.CommandLine;

/** Entry point of {@code scripts/relay}; the only place that exits. */
public final class RelayMain {

  private RelayMain() {}

  public static void main(String[] args) {
    Thread.setDefaultUncaughtExceptionHandler(RelayMain::threadDied);
    System.exit(commandLine(new RelayCommand()).execute(args));
  }

  /**
   * A thread ended on an error nothing caught, or a timer task failed with a JVM error ({@link
   * org.redisalerts.relay.monitoring.RelayScheduler}). When the JVM itself is in trouble (out of
   * memory, a stack overflow) the relay ends at once with status 3 ({@link ExitCodes#JVM_ERROR})
   * rather than run on with a thread gone: half alive, it would accept clients and deliver nothing,
   * where its supervisor would restart a dead one. {@code scripts/relay} also gives the JVM {@code
   * -XX:+ExitOnOutOfMemoryError}; this covers a relay started with plain {@code java -jar}.
   */
  private static void threadDied(Thread thread, Throwable error) {
    try {
      System.err.println("relay: thread " + thread.getName() + " failed: " + error);
    } finally {
      // Even when the line above could not be written (no memory left to build it).
      if (error instanceof VirtualMachineError) {
        Runtime.getRuntime().halt(ExitCodes.JVM_ERROR);
      }
    }
  }

  /** The command line with its exit statuses (messages, not stack traces). */
  public static CommandLine commandLine(RelayCommand command) {
    return Commands.create(command, ExitCodes.MAPPER);
  }
}
