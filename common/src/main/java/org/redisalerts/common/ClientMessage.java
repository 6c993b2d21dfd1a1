package org.redisalerts.common;

/**
 * A control message a client sends to the relay, e.g. {@code
 * {"event":"identify","queue":"alert/pool-42"}}.
 *
 * @param event what the client asks for; never null
 * @param queue the key it identifies with; null when absent
 */
public record ClientMessage(String event, String queue) {

  /** The event a client sends to say which key it is. */
  public static final String IDENTIFY = "identify";

  /** The identify a client sends for {@code key}. */
  public static ClientMessage identify(String key) {
    return new ClientMessage(IDENTIFY, key);
  }

  public boolean isIdentify() {
    return IDENTIFY.equals(event);
  }
}
