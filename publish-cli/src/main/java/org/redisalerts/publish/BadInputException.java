package org.redisalerts.publish;

/** The alerts to publish are not valid; nothing was pushed. The message says where and why. */
public final class BadInputException extends Exception {

  private static final long serialVersionUID = 1L;

  public BadInputException(String message) {
    super(message);
  }
}
