package org.redisalerts.common;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A frame the relay sends a client on its own account (alerts are sent as published). Clients of
 * the original look only at {@code message}; {@code event} lets newer clients tell replies from
 * alerts.
 *
 * @param event {@value #IDENTIFIED} or {@value #ERROR}
 * @param message human-readable text; for a successful identify exactly {@value #CONNECTED}
 * @param queue the key concerned, if any
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ServerReply(String event, String message, String queue) {

  public static final String IDENTIFIED = "identified";
  public static final String ERROR = "error";
  public static final String CONNECTED = "you are now connected";

  /** The answer to a successful identify. */
  public static ServerReply connected(String key) {
    return new ServerReply(IDENTIFIED, CONNECTED, key);
  }

  /** An error the client caused, sent before the relay closes it. */
  public static ServerReply error(String message, String key) {
    return new ServerReply(ERROR, message, key);
  }
}
