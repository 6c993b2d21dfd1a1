package org.redisalerts.relay.cli;

import picocli.CommandLine;

/**
 * Builds the relay's command line with its exit-code mapping in one place: bad option values exit 2
 * with the message, failures to start exit 1 with the message (the stack trace only with {@code
 * RWA_VERBOSE=true}).
 */
public final class CommandLines {

  /** Stopped on request. */
  public static final int OK = 0;

  /** Could not start: port taken, bundled Redis failed, ... */
  public static final int FAILED = 1;

  /** The command line or an environment variable is wrong. */
  public static final int USAGE = 2;

  private CommandLines() {}

  public static CommandLine relay() {
    return relay(new RelayCommand());
  }

  static CommandLine relay(RelayCommand command) {
    return org.redisalerts.cli.CommandLines.create(
        "relay",
        command,
        e ->
            e instanceof IllegalArgumentException || e instanceof CommandLine.ParameterException
                ? USAGE
                : FAILED);
  }
}
