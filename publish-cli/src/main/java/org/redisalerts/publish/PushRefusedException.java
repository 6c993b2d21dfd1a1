package org.redisalerts.publish;

/**
 * Redis refused a push (out of memory, a key of another type); the message says what was pushed.
 */
public final class PushRefusedException extends Exception {

  private static final long serialVersionUID = 1L;

  public PushRefusedException(String message, Throwable cause) {
    super(message, cause);
  }
}
