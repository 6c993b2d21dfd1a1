package org.redisalerts.relay.redis;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.util.Arrays;

/**
 * An entry too large to read, as a delivery step returns it: deliver.lua leaves an entry larger
 * than a whole batch may be in Redis and returns in its place a marker with its size and its first
 * bytes ({@code \0oversized SIZE HEAD}), for the relay to dead-letter. No alert can look like one:
 * an alert is a JSON object.
 *
 * @param size the entry's size in bytes
 * @param head its first bytes (at most 256)
 */
public record OversizedEntry(long size, byte[] head) {

  private static final byte[] MARK = "\0oversized ".getBytes(US_ASCII);

  /** The marker's size and head, or null when {@code entry} is an entry as published. */
  public static OversizedEntry of(byte[] entry) {
    if (entry.length <= MARK.length
        || !Arrays.equals(entry, 0, MARK.length, MARK, 0, MARK.length)) {
      return null;
    }
    int sizeEnd = spaceFrom(entry, MARK.length);
    int hashEnd = spaceFrom(entry, sizeEnd + 1);
    if (hashEnd >= entry.length) {
      return null; // not a marker deliver.lua wrote; checked as an entry, and refused as one
    }
    try {
      long size = Long.parseLong(new String(entry, MARK.length, sizeEnd - MARK.length, US_ASCII));
      return new OversizedEntry(size, Arrays.copyOfRange(entry, hashEnd + 1, entry.length));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Why it is dead-lettered, for its record and the log. */
  public String reason(long limit) {
    return "larger than a batch may be (--max-buffer-bytes "
        + limit
        + "): "
        + size
        + " bytes, of which \"entry\" holds the first "
        + head.length;
  }

  private static int spaceFrom(byte[] entry, int from) {
    int i = from;
    while (i < entry.length && entry[i] != ' ') {
      i++;
    }
    return i;
  }
}
