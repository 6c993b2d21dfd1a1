package org.redisalerts.common;

/**
 * The Redis keys that belong to one relay's watch list: the watch list itself, its dead-letter
 * list, and the claim lists where alerts wait while they are being written. All of them live in the
 * namespace {@code <watch>:}, and none may ever be identified with.
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

  /** Whether {@code key} is one of this relay's own keys (never a recipient). */
  public boolean isReserved(String key) {
    return key.equals(watch) || key.startsWith(watch + ":");
  }
}
