package org.redisalerts.relay.redis;

import java.util.List;

/**
 * What one delivery step did for one recipient list.
 *
 * @param key the list
 * @param status what became of the request
 * @param entries the entries read, oldest first
 * @param more whether the list may hold more than was read
 * @param error Redis's refusal, for {@link Status#REFUSED}
 */
public record StepResult(
    String key, Status status, List<byte[]> entries, boolean more, String error) {

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
    REFUSED
  }
}
