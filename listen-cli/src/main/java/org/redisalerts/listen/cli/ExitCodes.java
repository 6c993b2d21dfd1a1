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

  /** The relay refused the token (4003): missing, invalid, not covering the key, revoked. */
  static final int TOKEN_REFUSED = 5;

  /** The token expired (4001), at identify or while connected. */
  static final int TOKEN_EXPIRED = 6;

  /** The TLS handshake failed: the relay's certificate is not trusted, or not for this host. */
  static final int TLS_FAILED = 7;

  /** With {@code --ack}: the relay's identify reply did not take acknowledgements up. */
  static final int ACKS_UNSUPPORTED = 8;

  /** With {@code --ack}: the output could not be written, so that alert was not acknowledged. */
  static final int OUTPUT_FAILED = 9;

  /** Which failure exits with which status: anything but a usage error is a lost connection. */
  static final ExitCodeMapper MAPPER = ExitCodeMapper.of(USAGE, DISCONNECTED);

  private ExitCodes() {}

  static int of(Outcome outcome) {
    return switch (outcome.kind()) {
      case COUNT_REACHED, STOPPED -> OK;
      case TIMED_OUT -> TIMED_OUT;
      case REFUSED -> REFUSED;
      case TOKEN_REFUSED -> TOKEN_REFUSED;
      case TOKEN_EXPIRED -> TOKEN_EXPIRED;
      case DISCONNECTED -> DISCONNECTED;
      case TLS_FAILED -> TLS_FAILED;
      case ACKS_UNSUPPORTED -> ACKS_UNSUPPORTED;
      case OUTPUT_FAILED -> OUTPUT_FAILED;
    };
  }
}
