package org.redisalerts.common;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A control message a client sends to the relay, e.g. {@code
 * {"event":"identify","queue":"alert/pool-42"}}.
 *
 * @param event what the client asks for; never null
 * @param queue the key it identifies with; null when absent
 * @param token a signed identify token (SPEC 7), for identify and refresh; null when absent
 * @param ack whether the client acknowledges alerts (SPEC 9), for identify; null when absent
 * @param count for an {@code ack}: alerts received on this connection since the identify reply
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClientMessage(String event, String queue, String token, Boolean ack, Long count) {

  /** The event a client sends to say which key it is. */
  public static final String IDENTIFY = "identify";

  /** The event a client sends to replace its token on a live connection. */
  public static final String REFRESH = "refresh";

  /** The event an acknowledging client sends for what it has received. */
  public static final String ACK = "ack";

  /** The identify a client sends for {@code key}. */
  public static ClientMessage identify(String key) {
    return new ClientMessage(IDENTIFY, key, null, null, null);
  }

  /** An identify with a token and, when {@code ack}, acknowledgements. */
  public static ClientMessage identify(String key, String token, boolean ack) {
    return new ClientMessage(IDENTIFY, key, token, ack ? Boolean.TRUE : null, null);
  }

  /** A refresh with a new token. */
  public static ClientMessage refresh(String token) {
    return new ClientMessage(REFRESH, null, token, null, null);
  }

  /** An acknowledgement of {@code count} alerts received since the identify reply. */
  public static ClientMessage ack(long count) {
    return new ClientMessage(ACK, null, null, null, count);
  }

  @JsonIgnore // not a field: "identify":true on the wire is noise a strict relay could refuse
  public boolean isIdentify() {
    return IDENTIFY.equals(event);
  }

  public boolean wantsAcks() {
    return Boolean.TRUE.equals(ack);
  }
}
