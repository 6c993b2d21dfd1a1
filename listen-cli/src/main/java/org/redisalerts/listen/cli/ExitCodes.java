package org.redisalerts.listen.cli;

import org.redisalerts.cli.ExitCodeMapper;
import org.redisalerts.listen.Outcome;

/** The exit statuses of {@code listen}, and which outcome maps to which. */
final class ExitCodes {

  /** {@code --count} alerts arrived, or stopped with Ctrl-C. */
  static final int OK = 0;

  /** {@code --timeout} passed first. */
  static final int TIMED_OUT = 1;

  /** The command line was wrong. */
  static final int USAGE = 2;

  /** The relay refused the key (its reason is printed). */
  static final int REFUSED = 3;

  /** The connection dropped or could not be made, with {@code --no-reconnect}. */
  static final int DISCONNECTED = 4;

  /** Which failure exits with which status: anything but a usage error is a lost connection. */
  static final ExitCodeMapper MAPPER = ExitCodeMapper.of(USAGE, DISCONNECTED);

  private ExitCodes() {}

  static int of(Outcome outcome) {
    return switch (outcome.kind()) {
      case COUNT_REACHED, STOPPED -> OK;
      case TIMED_OUT -> TIMED_OUT;
      case REFUSED -> REFUSED;
      case DISCONNECTED -> DISCONNECTED;
    };
  }
}
