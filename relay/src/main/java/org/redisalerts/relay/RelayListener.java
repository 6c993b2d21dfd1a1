package org.redisalerts.relay;

/**
 * What an application that embeds the relay can hook: the key events the original's users hooked (a
 * key's first connection ready, a key's last connection closed), and what this relay adds (alerts
 * delivered, entries dead-lettered, clients refused). Every method has an empty default.
 *
 * <p>Called on the relay's own threads, outside its locks. Return quickly and never block: a slow
 * listener slows delivery.
 */
public interface RelayListener {

  /**
   * A connection identified with {@code key}.
   *
   * @param connections the key's connections now, this one included (1: it is the first)
   */
  default void connectionReady(String key, int connections) {}

  /**
   * A connection of {@code key} closed (or identified with another key).
   *
   * @param remaining the key's connections left (0: it was the last)
   */
  default void connectionClosed(String key, int remaining) {}

  /** {@code alerts} alerts of {@code key} were written to at least one of its connections. */
  default void delivered(String key, int alerts) {}

  /** An entry of {@code key} was moved to the dead-letter list, for {@code reason}. */
  default void deadLettered(String key, String reason) {}

  /**
   * The relay refused or closed a client.
   *
   * @param key the key it tried to identify with, or null
   * @param reason why, as the metric's label (e.g. {@code NOT_ALLOWED}, {@code TOO_SLOW})
   */
  default void refused(String key, String reason) {}
}
