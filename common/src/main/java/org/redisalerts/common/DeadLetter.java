package org.redisalerts.common;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/**
 * A record in the dead-letter list: an entry the relay would not forward, where it was found, and
 * why.
 *
 * @param key the list the entry was taken from
 * @param entry the entry as it was pushed, as text (bytes that are not UTF-8 shown as U+FFFD)
 * @param entryBase64 when the entry is not UTF-8: its bytes exactly, in base64; else absent
 * @param reason why it was not forwarded
 * @param at when it was set aside, ISO-8601 UTC to the millisecond
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(String key, String entry, String entryBase64, String reason, String at) {

  private static final DateTimeFormatter MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** The record of {@code entry}, set aside at {@code at}. */
  public static DeadLetter of(String key, byte[] entry, String reason, Instant at) {
    String text = DecodedText.utf8OrNull(entry);
    String exact = null;
    if (text == null) {
      text = new String(entry, StandardCharsets.UTF_8);
      exact = Base64.getEncoder().encodeToString(entry);
    }
    return new DeadLetter(key, text, exact, reason, MILLIS.format(at));
  }
}
