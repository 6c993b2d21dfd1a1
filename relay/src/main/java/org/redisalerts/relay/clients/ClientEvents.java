package org.redisalerts.relay.clients;

/**
 * What the client protocol tells the dispatcher. Called on a connection's decoder thread, in the
 * order the connection's events happened; must not block.
 */
public interface ClientEvents {

  /**
   * {@code connection} now has {@code key}; it had {@code previous} (null at its first identify).
   */
  void identified(ClientConnection connection, String previous, String key);

  /** {@code connection} has closed (identified or not); it is already marked closed. */
  void closed(ClientConnection connection, int code, String reason);

  /** The relay refused or closed a client on purpose. */
  default void refused(ClientConnection connection, String key, String reason) {}
}
