package org.redisalerts.relay.cli;

import org.redisalerts.cli.ExitCodeMapper;

/** The exit statuses of {@code relay}, and which failure maps to which. */
public final class ExitCodes {

  /** Stopped on request (SIGTERM, SIGINT). */
  public static final int OK = 0;

  /** Could not start: port taken, bundled Redis failed, ... */
  public static final int FAILED = 1;

  /** The command line or an environment variable is wrong. */
  public static final int USAGE = 2;

  /**
   * The JVM failed under the relay (out of memory, a stack overflow): the status the JVM's own
   * {@code -XX:+ExitOnOutOfMemoryError} exits with.
   */
  public static final int JVM_ERROR = 3;

  static final ExitCodeMapper MAPPER = ExitCodeMapper.of(USAGE, FAILED);

  private ExitCodes() {}
}
