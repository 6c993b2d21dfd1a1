package org.redisalerts.relay;

/** What the WebSocket side tells the dispatcher. Called on WebSocket threads: must not block. */
interface ClientEvents {

  /**
   * {@code connection} now has {@code key}; it had {@code previous} (null at its first identify).
   */
  void identified(ClientConnection connection, String previous, String key);

  /** {@code connection} has closed (identified or not). */
  void closed(ClientConnection connection, int code, String reason);
}
