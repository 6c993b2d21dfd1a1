package org.redisalerts.relay.dispatch;

import java.util.HashSet;
import java.util.Set;

/**
 * A batch that a key's pump read and has not yet trimmed from the list: where it went, how many of
 * its sends the sockets have still to take and the connections have still to settle, and how far it
 * was delivered. Each connection delivers a prefix of what it was sent (written, or acknowledged),
 * and every connection the batch went to was sent all of it, so the alerts delivered by any of them
 * are the longest such prefix.
 *
 * <p>Guarded by its pump.
 */
final class BatchOut {

  final Batch batch;

  /** Entries at its front trimmed from the list already (only the pump's first batch has any). */
  int trimmed;

  /** Alerts, from the first, that some connection delivered. */
  int delivered;

  /** Sends whose socket has not taken the batch yet. */
  int untaken;

  /** Sends not settled yet (for a connection that acknowledges: not all acknowledged). */
  int unsettled;

  /** How many connections and relays it was sent to. */
  int sends;

  /** When (nanoTime) the last of its sends was taken. */
  long takenAt;

  /**
   * The connections and relays it was sent to that may still deliver it, or did: a send that
   * settled short (its connection closed or identified again) no longer counts.
   */
  final Set<Object> holders = new HashSet<>();

  BatchOut(Batch batch) {
    this.batch = batch;
  }

  /** Entries from its first that are finished: delivered alerts, and bad entries among them. */
  int finished() {
    return batch.finished(delivered);
  }

  /** Entries not yet trimmed. */
  int remaining() {
    return batch.size() - trimmed;
  }

  /** Every entry finished. */
  boolean done() {
    return finished() == batch.size();
  }

  /** Some sends may still deliver what is not finished. */
  boolean live() {
    return unsettled > 0 && !done();
  }

  /** Every send settled and some entry was not delivered: it must be read again. */
  boolean fellShort() {
    return unsettled == 0 && !done();
  }
}
