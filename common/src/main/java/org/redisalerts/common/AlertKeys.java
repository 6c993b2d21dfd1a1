package org.redisalerts.common;

/**
 * The key convention publishers and clients share: one Redis list per recipient, named {@code
 * alert/<pool>-<unique>}. Any key the relay's allow-list accepts is valid; this is only the
 * convention that the default allow-list ({@value #DEFAULT_ALLOW}) expects.
 */
public final class AlertKeys {

  /** Prefix of every conventional recipient key. */
  public static final String PREFIX = "alert/";

  /** The allow-list glob that admits exactly the conventional keys. */
  public static final String DEFAULT_ALLOW = PREFIX + "*";

  /** The largest key the suite accepts, in characters: keys travel in control frames. */
  public static final int MAX_KEY_LENGTH = 1024;

  private AlertKeys() {}

  /** The conventional key for recipient {@code unique} of {@code pool}. */
  public static String recipient(String pool, String unique) {
    requirePart("pool", pool);
    requirePart("id", unique);
    return validate(PREFIX + pool + "-" + unique);
  }

  /**
   * The key a command was given: {@code key} itself, or the conventional key of {@code pool} and
   * {@code id}. Exactly one of the two ways must be used (blank counts as absent).
   *
   * @throws IllegalArgumentException saying what is missing or conflicting
   */
  public static String resolve(String key, String pool, String id) {
    boolean hasKey = key != null && !key.isBlank();
    boolean hasPool = pool != null && !pool.isBlank();
    boolean hasId = id != null && !id.isBlank();
    if (hasKey && (hasPool || hasId)) {
      throw new IllegalArgumentException("give either --key or --pool with --id, not both");
    }
    if (hasKey) {
      return validate(key);
    }
    if (hasPool && hasId) {
      return recipient(pool, id);
    }
    throw new IllegalArgumentException(
        hasPool || hasId
            ? "--pool and --id go together"
            : "no key: give --key KEY, or --pool POOL --id ID");
  }

  /**
   * Checks that {@code key} can name a recipient list: not empty, not too long, free of control
   * characters (which would corrupt log lines and watch entries), and valid Unicode (no lone
   * surrogate, no U+FFFD from undecodable input), so that it has exactly one UTF-8 form.
   *
   * @return the key
   * @throws IllegalArgumentException naming the problem
   */
  public static String validate(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("key is empty");
    }
    if (key.length() > MAX_KEY_LENGTH) {
      throw new IllegalArgumentException(
          "key is longer than "
              + MAX_KEY_LENGTH
              + " characters: "
              + LogText.quote(key.substring(0, 40))
              + "...");
    }
    for (int i = 0; i < key.length(); i++) {
      if (Character.isISOControl(key.charAt(i))) {
        throw new IllegalArgumentException(
            "key contains a control character: " + LogText.quote(key));
      }
    }
    // Else two different keys could name one list (both with "?" where their bytes differ).
    return DecodedText.require("key", key);
  }

  private static void requirePart(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " is empty");
    }
  }
}
