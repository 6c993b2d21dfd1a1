package org.redisalerts.listen;

import java.time.Instant;

/** Where a listen session shows what happens. Called from the session's thread only. */
public interface AlertView extends AutoCloseable {

  /** The relay accepted the identify; {@code reply} is its answer as sent. */
  void identified(String key, String reply);

  /**
   * An alert arrived: {@code frame} is the text frame exactly as received.
   *
   * @return whether it reached the output in full (written and flushed); false when the output
   *     failed (a closed pipe, a full disk), so that it is not acknowledged
   */
  boolean alert(String frame, Instant receivedAt);

  /** The connection state changed (connecting, reconnecting in Ns, refused, ...). */
  void status(String text);

  @Override
  void close();
}
