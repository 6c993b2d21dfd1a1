package org.redisalerts.common;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A frame the relay sends a client on its own account (alerts are sent as published). Clients of
 * the original look only at {@code message}; {@code event} lets newer clients tell replies from
 * alerts.
 *
 * @param event {@value #IDENTIFIED}, {@value #REFRESHED} or {@value #ERROR}
 * @param message human-readable text; for a successful identify exactly {@value #CONNECTED}
 * @param queue the key concerned, if any
 * @param ttl seconds until the connection's token expires, when it identified with one
 * @param ack true when the connection acknowledges alerts (SPEC 9)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ServerReply(String event, String message, String queue, Long ttl, Boolean ack) {

  public static final String IDENTIFIED = "identified";
  public static final String REFRESHED = "refreshed";
  public static final String ERROR = "error";
  public static final String CONNECTED = "you are now connected";

  /** The answer to a successful identify. */
  public static ServerReply connected(String key) {
    return new ServerReply(IDENTIFIED, CONNECTED, key, null, null);
  }

  /** The answer to a successful identify, with the token's time left and the ack mode. */
  public static ServerReply connected(String key, Long ttl, boolean ack) {
    return new ServerReply(IDENTIFIED, CONNECTED, key, ttl, ack ? Boolean.TRUE : null);
  }

  /** The answer to a successful refresh. */
  public static ServerReply refreshed(long ttl) {
    return new ServerReply(REFRESHED, "token refreshed", null, ttl, null);
  }

  /** An error the client caused, sent before the relay closes it. */
  public static ServerReply error(String message, String key) {
    return new ServerReply(ERROR, message, key, null, null);
  }
}
