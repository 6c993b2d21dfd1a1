package org.redisalerts.relay.clients;

/**
 * What the client protocol tells the dispatcher. Called on a connection's decoder thread, in the
 * order the connection's events happened; must not block.
 */
public interface ClientEvents {

  /**
   * {@code connection} identified with {@code key}; it had {@code previous} (null at its first
   * identify). Its reply is held: the dispatcher sends it ({@link ClientConnection#confirm}) once
   * every alert read from then on goes to the connection, so a client that publishes once it has
   * the reply receives what it published. Until then, what is sent to it for {@code key} counts as
   * not written (see {@link ClientConnection#send}).
   *
   * @param acknowledging whether it identified with {@code "ack":true} (SPEC 9)
   */
  void identified(ClientConnection connection, String previous, String key, boolean acknowledging);

  /** {@code connection} has closed (identified or not); it is already marked closed. */
  void closed(ClientConnection connection, int code, String reason);

  /**
   * An acknowledging connection of {@code key} has room in its window again (acknowledgements freed
   * half of it, or the connection left the key): the key's next batch may go. Called on the thread
   * that acknowledged or closed.
   */
  void windowOpened(String key);

  /** The relay refused or closed a client on purpose. */
  default void refused(ClientConnection connection, String key, String reason) {}
}
