package org.redisalerts.publish.cli;

import org.redisalerts.cli.ExitCodeMapper;
import org.redisalerts.publish.RedisUnavailableException;

/** The exit statuses of {@code publish}, and which failure maps to which. */
final class ExitCodes {

  /** Every alert was pushed. */
  static final int PUSHED = 0;

  /**
   * The alerts were not valid (nothing pushed), or Redis refused them (the key holds no list, Redis
   * is out of memory: the message says exactly which were pushed).
   */
  static final int BAD_INPUT = 1;

  /** The command line was wrong; nothing pushed. */
  static final int USAGE = 2;

  /**
   * Redis could not be reached, or was lost part-way, or is not serving (loading, a read-only
   * replica): the message says how much was pushed.
   */
  static final int REDIS_UNREACHABLE = 3;

  /**
   * Which failure exits with which status. BadInputException, a refused push (PushRefusedException)
   * and anything unforeseen exit {@link #BAD_INPUT}: nothing was pushed that the message does not
   * mention.
   */
  static final ExitCodeMapper MAPPER =
      ExitCodeMapper.of(USAGE, BAD_INPUT).on(RedisUnavailableException.class, REDIS_UNREACHABLE);

  private ExitCodes() {}
}
