package org.redisalerts.relay.websocket;

/**
 * Told how much of a batch reached the socket and, for a connection that acknowledges (SPEC 9), how
 * much of it the client confirmed.
 */
@FunctionalInterface
public interface BatchCallback {

  /**
   * Told once, last: how much of the batch this connection delivered.
   *
   * @param written how many of the batch's frames, from the first, were handed on for the socket
   *     (all of them, or fewer when the connection closed first; none when it was closed already);
   *     for a connection that acknowledges, how many of those it acknowledged
   */
  void done(int written);

  /**
   * Told at most once, before {@link #done}, by a connection that acknowledges: the socket took
   * {@code written} frames of the batch, and their acknowledgements are still to come. A plain
   * connection reports only {@link #done}, which then means both.
   */
  default void taken(int written) {}

  /**
   * Told by a connection that acknowledges, before {@link #done}, when the client acknowledged the
   * first {@code count} alerts of the batch and not yet all of it (a client may acknowledge in
   * groups); may be told again with a larger count.
   */
  default void acknowledged(int count) {}
}
