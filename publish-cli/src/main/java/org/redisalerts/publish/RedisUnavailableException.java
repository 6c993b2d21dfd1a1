package org.redisalerts.publish;

/** Redis could not be reached, or was lost part-way; the message says how much was pushed. */
public final class RedisUnavailableException extends Exception {

  private static final long serialVersionUID = 1L;

  public RedisUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
