package org.redisalerts.relay.websocket;

/** Whether a connection was accepted within the limits, decided when it was accepted. */
public enum Admission {
  /** Within every limit. */
  ADMITTED,
  /** Accepted while the relay held its most connections: to be refused once open. */
  OVER_LIMIT,
  /** Accepted while its address held its most connections: to be refused once open. */
  OVER_ADDRESS_LIMIT
}
