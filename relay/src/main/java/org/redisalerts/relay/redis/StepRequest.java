package org.redisalerts.relay.redis;

import java.util.List;

/**
 * What one delivery step asks of one recipient list (see deliver.lua).
 *
 * @param key the list
 * @param held entries at the head that were read before and are expected there still
 * @param firstHeld the first of them as read, for the check that the head did not move; null when
 *     none are held
 * @param lastHeld the last of them as read; null when none are held
 * @param trim how many of the held entries are finished and leave the list now
 * @param skip entries after those that are still out and must not be read again
 * @param deadLetters dead-letter records for the bad entries among the finished ones
 * @param claim the most entries to read now (0: only finish)
 * @param claimBytes the most bytes to read now (one entry is always read when claim is positive)
 * @param presence what this relay's connections of the key became since its last step
 * @param pump the number the key's pump carries in its steps' mark (each pump made gets one, and a
 *     new one whenever it drops what it held)
 * @param trimmedBefore how many entries that pump's earlier steps trimmed from the list: with
 *     {@code pump}, the step's mark (deliver.lua), by which a step sent again after its reply was
 *     lost is known to have run
 * @param mine whether this relay counts the key's lease its own; when it does not and Redis has it
 *     this relay's all the same (a step that took it and whose reply was lost, a lease counted lost
 *     too soon), the step reports taking it, with the key's presence
 */
public record StepRequest(
    String key,
    int held,
    byte[] firstHeld,
    byte[] lastHeld,
    int trim,
    int skip,
    List<byte[]> deadLetters,
    int claim,
    long claimBytes,
    Presence presence,
    long pump,
    long trimmedBefore,
    boolean mine) {

  /** This relay's connections of a key, as the other relays see them (SPEC 10). */
  public enum Presence {
    /** As recorded before. */
    UNCHANGED,
    /** It has connections, none acknowledging. */
    PLAIN,
    /** It has connections, some acknowledging (the key's batches are no larger than a window). */
    ACKNOWLEDGING,
    /** It has none any more. */
    GONE
  }

  public StepRequest {
    if (held < 0 || trim < 0 || skip < 0 || claim < 0 || trim + skip > held) {
      throw new IllegalArgumentException(
          "inconsistent step for " + key + ": held=" + held + " trim=" + trim + " skip=" + skip);
    }
    if (held > 0 && (firstHeld == null || lastHeld == null)) {
      throw new IllegalArgumentException("held entries need their first and last: " + key);
    }
    deadLetters = List.copyOf(deadLetters);
    if (pump < 0 || trimmedBefore < 0) {
      throw new IllegalArgumentException(
          "inconsistent mark for " + key + ": pump=" + pump + " trimmed=" + trimmedBefore);
    }
    if (presence == null) {
      presence = Presence.UNCHANGED;
    }
  }
}
