package org.redisalerts.listen;

/**
 * How a listen session ended.
 *
 * @param kind what happened
 * @param detail for people: the relay's reason, what timed out
 * @param alerts how many alerts were received
 */
public record Outcome(Kind kind, String detail, int alerts) {

  public enum Kind {
    /** {@code --count} alerts arrived. */
    COUNT_REACHED,
    /** Stopped on request (Ctrl-C); the socket was closed with 1000. */
    STOPPED,
    /** {@code --timeout} passed before {@code --count} alerts arrived. */
    TIMED_OUT,
    /** The relay refused the key; {@link #detail} gives its reason. */
    REFUSED,
    /** The relay refused the token (4003: missing, invalid, not covering, revoked). */
    TOKEN_REFUSED,
    /** The token expired (4001), at identify or while connected. */
    TOKEN_EXPIRED,
    /** The connection dropped (or never opened) and reconnecting was off. */
    DISCONNECTED,
    /** The TLS handshake failed (the relay's certificate is not trusted, or not for this host). */
    TLS_FAILED,
    /** Acknowledgements were asked for and the relay's identify reply did not take them up. */
    ACKS_UNSUPPORTED,
    /** The output failed (closed pipe, full disk); the alert it lost was not acknowledged. */
    OUTPUT_FAILED
  }
}
