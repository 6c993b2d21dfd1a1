package org.redisalerts.relay.websocket;

/** Told, once, how much of a batch reached the socket. */
@FunctionalInterface
public interface BatchCallback {

  /**
   * @param written how many of the batch's frames, from the first, were handed on for the socket:
   *     all of them, or fewer when the connection closed first (none when it was closed already)
   */
  void done(int written);
}
