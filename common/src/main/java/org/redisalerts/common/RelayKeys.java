package org.redisalerts.common;

/**
 * The Redis keys that belong to one watch list and the relays that share it: the watch list itself,
 * its dead-letter list, the leases and presence records of the keys being delivered, the relays
 * alive, and the claim lists an earlier version used. All of them live in the namespace {@code
 * <watch>:}, and none may ever be identified with.
 *
 * @param watch the watch list's name
 */
public record RelayKeys(String watch) {

  /** The watch list's name when none is given. */
  public static final String DEFAULT_WATCH = "watch";

  public RelayKeys {
    if (watch == null || watch.isBlank()) {
      throw new IllegalArgumentException("watch list name is empty");
    }
    AlertKeys.validate(watch);
  }

  /** Where bad entries go, with the key and a reason: {@code <watch>:dead}. */
  public String deadLetters() {
    return watch + ":dead";
  }

  /** Where alerts of {@code key} wait between leaving their list and being written. */
  public String claimList(String key) {
    return watch + ":claim:" + key;
  }

  /** The set of keys whose claim list may be non-empty, so a restart finds them. */
  public String claimIndex() {
    return watch + ":claims";
  }

  /**
   * The lease of {@code key}: which relay may deliver its alerts now (SPEC 10). Tagged with the key
   * ({@code {key}}) so that in Redis Cluster it lives in the key's own hash slot.
   */
  public String lease(String key) {
    return watch + ":lease:{" + key + "}";
  }

  /** Which relays have connections of {@code key} (a hash: relay token to ack flag); tagged. */
  public String presence(String key) {
    return watch + ":present:{" + key + "}";
  }

  /** The relays alive on this watch list (a sorted set: token to the end of its record). */
  public String relays() {
    return watch + ":relays";
  }

  /** The pub/sub channel a relay receives its messages on, from its token. */
  public String relayChannel(String token) {
    return watch + ":relay:" + token;
  }

  /** Whether {@code key} is one of this relay's own keys (never a recipient). */
  public boolean isReserved(String key) {
    return key.equals(watch) || key.startsWith(watch + ":");
  }
}
