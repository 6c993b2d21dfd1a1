package org.redisalerts.common;

/** A message that breaks the wire conventions; the message says how, for the peer. */
public final class ProtocolException extends Exception {

  private static final long serialVersionUID = 1L;

  public ProtocolException(String message) {
    super(message);
  }
}
