package org.redisalerts.relay.redis;

import java.util.List;
import java.util.Map;

/**
 * What one delivery step did for one recipient list.
 *
 * @param key the list
 * @param status what became of the request
 * @param entries the entries read, oldest first
 * @param more whether the list may hold more than was read
 * @param error Redis's refusal, for {@link Status#REFUSED}
 * @param acquired whether this step took the key's lease (the relay is its holder from now on)
 * @param held whether the relay holds the key's lease after this step (false when it was free and
 *     the step had nothing to read, so did not take it)
 * @param owner the token of the lease's holder, for {@link Status#NOT_OWNER} and {@link
 *     Status#FENCED} (empty when the lease is free)
 * @param presence when {@code acquired}: the relays with connections of the key, token to whether
 *     some of them acknowledge
 */
public record StepResult(
    String key,
    Status status,
    List<byte[]> entries,
    boolean more,
    String error,
    boolean acquired,
    boolean held,
    String owner,
    Map<String, Boolean> presence) {

  /** A result without lease news: done, head changed or refused, with the lease held. */
  public StepResult(String key, Status status, List<byte[]> entries, boolean more, String error) {
    this(key, status, entries, more, error, false, true, null, Map.of());
  }

  /** This result as if the step had read nothing (and the list may hold more). */
  public StepResult withoutEntries() {
    return new StepResult(key, status, List.of(), true, error, acquired, held, owner, presence);
  }

  /** What became of a step's request. */
  public enum Status {
    /** Finished and read as asked. */
    DONE,
    /**
     * The head was not what the relay held (the list was trimmed, expired or deleted by someone
     * else): nothing was finished, and the entries were read from the head again.
     */
    HEAD_CHANGED,
    /** Redis refused to touch the key (it holds another type): nothing happened. */
    REFUSED,
    /** Another relay holds the key's lease: nothing was read; {@link #owner} names it. */
    NOT_OWNER,
    /**
     * The relay held entries of the key but no longer holds its lease (it expired, or another relay
     * took it): nothing was trimmed or read, and what was held must be forgotten.
     */
    FENCED,
    /**
     * A key of the relay's for this list (its lease, its presence hash, or the dead-letter list)
     * holds another type: nothing was trimmed, what was held is held still; {@link #error} is
     * Redis's reason. The other lists of the step are not affected.
     */
    FAILED
  }
}
