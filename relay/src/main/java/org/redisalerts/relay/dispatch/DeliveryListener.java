package org.redisalerts.relay.dispatch;

/**
 * What the dispatcher tells whoever embeds the relay. Called on the relay's own threads, outside
 * its locks; implementations must return quickly and must not block.
 */
public interface DeliveryListener {

  /** A connection identified with {@code key}; {@code connections} counts it (1: the first). */
  default void ready(String key, int connections, String client) {}

  /** A connection of {@code key} closed; {@code remaining} are left (0: it was the last). */
  default void closed(String key, int remaining, String client, int code, String reason) {}

  /** {@code count} alerts of {@code key} were written to at least one of its connections. */
  default void delivered(String key, int count) {}

  /** An entry of {@code key} was moved to the dead-letter list. */
  default void deadLettered(String key, String reason) {}

  /** The relay refused or closed a client ({@code key} null when it had none). */
  default void refused(String key, String reason) {}
}
